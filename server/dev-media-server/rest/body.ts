/**
 * Lenient readers for OpenVidu REST bodies: `null` counts as absent, a wrong type is a 400, and a body
 * over the configured limit is a 413 (never buffered past it).
 */
import type { Context } from 'hono';
import { HttpError } from '../errors.js';

export type Body = Record<string, unknown>;

export function field(body: Body, key: string): unknown {
  const v = body[key];
  return v === null ? undefined : v;
}

export function optString(body: Body, key: string): string | undefined {
  const v = field(body, key);
  if (v === undefined || typeof v === 'string') return v;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected a string`);
}

export function optBool(body: Body, key: string): boolean | undefined {
  const v = field(body, key);
  if (v === undefined || typeof v === 'boolean') return v;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected a boolean`);
}

export function optNumber(body: Body, key: string): number | undefined {
  const v = field(body, key);
  if (v === undefined || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected a number`);
}

export function optEnum<T extends string>(
  body: Body,
  key: string,
  values: readonly T[],
): T | undefined {
  const v = optString(body, key);
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T;
  throw HttpError.badRequest(`Parameter '${key}' must be one of ${values.join(', ')}`);
}

export function optObject(body: Body, key: string): Body | undefined {
  const v = field(body, key);
  if (v === undefined) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Body;
  throw HttpError.badRequest(`Type error in parameter '${key}': expected an object`);
}

/** Reads the request body as text, failing with 413 beyond `max` bytes (never buffers more). */
async function readLimitedText(c: Context, max: number): Promise<string> {
  const declared = Number(c.req.header('Content-Length') ?? '0');
  if (declared > max) throw new HttpError(413, 'Request body too large', 'json');
  const stream = c.req.raw.body;
  if (!stream) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new HttpError(413, 'Request body too large', 'json');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON object body; `undefined` when empty and not `required`. */
export async function readBody(
  c: Context,
  required: boolean,
  max: number,
): Promise<Body | undefined> {
  const text = await readLimitedText(c, max);
  if (text.trim() === '') {
    if (required) throw HttpError.badRequest('Request body is required');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw HttpError.badRequest('Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw HttpError.badRequest('Request body must be a JSON object');
  }
  return parsed as Body;
}
