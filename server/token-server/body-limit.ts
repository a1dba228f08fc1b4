/**
 * Request body limit that keeps HTTP/1.1 keep-alive connections usable. A body over the limit is
 * answered 413 `payload-too-large` only after the rest of it was read and discarded (up to
 * `drainMaxBytes` within `drainTimeoutMs`), so the next request on the same connection is parsed
 * from its start. When the rest cannot be drained, the 413 says `Connection: close` and the client
 * opens a new connection for its next request.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

export interface BodyLimitOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /** Most bytes read and discarded after the limit (default 8 MiB). */
  drainMaxBytes?: number;
  /** Longest time spent discarding, in ms (default 2000). */
  drainTimeoutMs?: number;
}

type Reader = ReadableStreamDefaultReader<Uint8Array>;

/** Reads and discards the rest of the body; true when it ended within the bounds. */
async function drain(reader: Reader, maxBytes: number, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let read = 0;
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout') return false;
      if (next.done) return true;
      read += next.value.byteLength;
      if (read > maxBytes) return false;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(c: Context, drained: boolean): Response {
  const res = c.json(
    new ApiError(413, 'payload-too-large', 'The request body is too large.').body(),
    413,
  );
  if (!drained) res.headers.set('Connection', 'close');
  return res;
}

/** Hono middleware: 413 for bodies over `maxBytes`, with the connection left usable. */
export function limitBody(options: BodyLimitOptions): MiddlewareHandler {
  const drainMax = options.drainMaxBytes ?? 8 * 1024 * 1024;
  const drainMs = options.drainTimeoutMs ?? 2000;
  return async (c, next) => {
    // The headers decide first: reading `body` turns @hono/node-server's lightweight request into
    // a full web `Request` whose body is then read through a web stream, where a body left alone
    // is read straight from the socket (the parser holds it to its Content-Length).
    const { method, headers } = c.req.raw;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = headers.get('content-length');
    const declared = length !== null && !headers.has('transfer-encoding');
    if (declared && Number.parseInt(length, 10) <= options.maxBytes) return next();
    const body = c.req.raw.body;
    if (!body) return next();
    if (declared) return tooLarge(c, await drain(body.getReader(), drainMax, drainMs));
    // No length given (chunked): read up to the limit, then hand on what was read.
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) return tooLarge(c, await drain(reader, drainMax, drainMs));
      chunks.push(value);
    }
    const whole = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      whole.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: whole });
    return next();
  };
}
