/** LiveKit-style ids: a type prefix and 12 random alphanumerics (`RM_…`, `PA_…`, `TR_…`). */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newSid(prefix: 'RM' | 'PA' | 'TR'): string {
  const bytes = randomBytes(12);
  let out = `${prefix}_`;
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}
