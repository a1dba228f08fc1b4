/**
 * How the OpenVidu client sends one HTTP request: over `node:http`/`node:https` with a keep-alive
 * agent (the default), or over an injected `fetch` (tests, custom networking).
 *
 * The default is not `fetch` because of what it costs: on the token server's first-join path (two
 * calls to the media server per token) undici's `fetch` took about a quarter of the process's CPU
 * time (WHATWG streams, `Headers`, `Request`/`Response` objects, per-call `AbortSignal` plumbing),
 * more than the database and the audit trail together. A plain `node:http` request reads the JSON
 * answer as a string and builds a web `Response` only when a caller streams the body (a recording
 * download).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/** One request as the client sends it. */
export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  /** The body, already serialized. */
  body?: string;
  /** Aborts the request, and the reading of its answer. */
  signal: AbortSignal;
}

/** An answer whose headers have arrived; its body is read, dropped or streamed exactly once. */
export interface TransportAnswer {
  status: number;
  /** The whole body as UTF-8 text; rejects when the connection fails or the signal aborts. */
  text(): Promise<string>;
  /** Drops the body (frees the connection for the next request). */
  discard(): Promise<void>;
  /** The answer as a web `Response` whose body is unread (streamed downloads). */
  response(): Response;
}

/**
 * Sends one request; resolves once the answer's headers arrived. A failure rejects with the
 * transport's error: a refused connection has `code` (node) or `cause.code` (fetch)
 * `ECONNREFUSED`.
 */
export type Transport = (url: string, init: TransportRequest) => Promise<TransportAnswer>;

/** A transport over a `fetch` implementation (no redirects are followed). */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return async (url, init) => {
    const res = await fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: init.signal,
      redirect: 'manual',
    });
    return {
      status: res.status,
      text: () => res.text(),
      discard: async () => {
        await res.body?.cancel().catch(() => undefined);
      },
      response: () => res,
    };
  };
}

/**
 * How long a connection may sit idle before the agent closes it; shorter when the server's
 * `Keep-Alive: timeout=N` says so (the agent then closes it a second before N). A server closing
 * an idle connection while a request is being written on it fails that request (ECONNRESET, not
 * sent again): closing first avoids the race. undici, which `fetch` uses, keeps 4 s too. A call
 * in flight longer than this is not cut (the agent closes idle sockets only; calls have their own
 * timeout).
 */
const IDLE_SOCKET_MS = 4000;

/** Statuses whose answer has no body (a `Response` refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export interface HttpTransportOptions {
  /** Sockets kept open to the media server, in use or idle. */
  maxSockets: number;
}

/** A transport and the agent behind it (so its owner can close the idle sockets). */
export interface HttpTransport {
  send: Transport;
  /** Closes every socket, idle or not. */
  close(): void;
}

/**
 * A transport over `node:http` (or `node:https` for `https:` URLs) with one keep-alive agent per
 * protocol: at most `maxSockets` connections, reused; idle ones are closed after
 * {@link IDLE_SOCKET_MS} or before the server's `Keep-Alive: timeout` runs out, and never keep the
 * process alive.
 * No redirects are followed.
 */
export function httpTransport(options: HttpTransportOptions): HttpTransport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets,
    maxFreeSockets: options.maxSockets,
    // Node's agent applies the server's hint only when it is below this (0 = never).
    timeout: IDLE_SOCKET_MS,
  };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  const send: Transport = (url, init) =>
    new Promise<TransportAnswer>((resolve, reject) => {
      const { signal } = init;
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const secure = url.startsWith('https:');
      const headers: Record<string, string | number> = { ...init.headers };
      if (init.body !== undefined) headers['Content-Length'] = Buffer.byteLength(init.body);
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init.method,
        headers,
        agent: secure ? https : http,
      });
      const onAbort = (): void => {
        req.destroy(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // `on`, not `once`: a socket can fail more than once (e.g. aborted, then reset).
      req.on('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      });
      req.once('response', (res) => {
        res.once('close', () => signal.removeEventListener('abort', onAbort));
        resolve(answerOf(res, signal));
      });
      req.end(init.body);
    });
  return {
    send,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

function answerOf(res: IncomingMessage, signal: AbortSignal): TransportAnswer {
  const status = res.statusCode ?? 0;
  // A socket destroyed mid-body makes `res` emit `error`: without a listener that would crash the
  // process; whoever reads the body sees the failure through `close`.
  res.on('error', () => undefined);
  return {
    status,
    text: () =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        let ended = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.once('end', () => {
          ended = true;
          resolve(text);
        });
        // A socket destroyed mid-body (the timeout, the server going away) ends in `close`
        // without `end`.
        res.once('close', () => {
          if (!ended)
            reject(
              signal.aborted ? (signal.reason as Error) : new Error('answer ended before its body'),
            );
        });
      }),
    discard: () =>
      new Promise<void>((resolve) => {
        if (res.complete || res.destroyed) {
          resolve();
          return;
        }
        res.once('close', () => resolve());
        res.resume();
      }),
    response: () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      if (NULL_BODY_STATUSES.has(status)) {
        res.resume();
        return new Response(null, { status, headers });
      }
      return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers });
    },
  };
}
