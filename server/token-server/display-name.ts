/**
 * Display names as the token server stores and shows them. Names come from the token request, the
 * portal's JWT claims and the demo users; all go through {@link cleanDisplayName}, so nobody can
 * show others a name that reorders itself (`"Dr. Zed \u202E(provider)"`) or hides characters.
 */

/** Longest name, in code points. */
export const MAX_DISPLAY_NAME_LENGTH = 100;

/**
 * Invisible characters removed outright: bidi embeddings, overrides, isolates and marks, zero-width
 * characters, the BOM, soft hyphens, fillers and every other default-ignorable or format character.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cs}]/gu;
/** Control characters and every kind of space or line break become one space. */
const SPACES = /[\p{Cc}\p{White_Space}\p{Zl}\p{Zp}]+/gu;

/**
 * The name to show: NFC, without invisible characters, whitespace collapsed to single spaces,
 * trimmed, at most {@link MAX_DISPLAY_NAME_LENGTH} code points. `undefined` when nothing visible
 * is left (or the input is not a string): callers reject it or fall back to another name.
 */
export function cleanDisplayName(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const cleaned = input.normalize('NFC').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
  if (cleaned === '') return undefined;
  const points = Array.from(cleaned);
  return points.length > MAX_DISPLAY_NAME_LENGTH
    ? points.slice(0, MAX_DISPLAY_NAME_LENGTH).join('').trimEnd()
    : cleaned;
}
