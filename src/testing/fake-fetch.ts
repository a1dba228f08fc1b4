/**
 * A scriptable `fetch` for tests and stories without a token server: route handlers by method and
 * path, a log of every request, and a controllable Server-Sent Events stream.
 * @packageDocumentation
 */

/** One request the fake server received. @public */
export interface FakeRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw string when it is not JSON. */
  body: unknown;
  signal: AbortSignal | undefined;
}

/** Answers one request. @public */
export type FakeHandler = (request: FakeRequest) => Response | Promise<Response>;

/** A JSON response. @public */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A token-server error response `{ error: { code, message } }`. @public */
export function errorResponse(
  status: number,
  code = 'error',
  headers: Record<string, string> = {},
): Response {
  return jsonResponse({ error: { code, message: `HTTP ${status}` } }, status, headers);
}

/**
 * A Server-Sent Events stream whose events the test pushes.
 * @public
 */
export class FakeEventStream {
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private readonly encoder = new TextEncoder();
  private readonly backlog: string[] = [];
  closed = false;
  readonly response: Response;

  /** `signal`: the request's; aborting it ends the stream as a real fetch would. */
  constructor(status = 200, signal?: AbortSignal) {
    signal?.addEventListener('abort', () => this.fail(), { once: true });
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        for (const chunk of this.backlog.splice(0)) controller.enqueue(this.encoder.encode(chunk));
      },
      cancel: () => {
        this.closed = true;
      },
    });
    this.response = new Response(stream, {
      status,
      headers: { 'content-type': 'text/event-stream' },
    });
  }

  /** Sends `event:`/`data:` (JSON) and an optional `id:`. */
  send(event: string, data: unknown, id?: string): void {
    const chunk = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (this.closed) return;
    if (this.controller) this.controller.enqueue(this.encoder.encode(chunk));
    else this.backlog.push(chunk);
  }

  /** Ends the stream normally (the client reconnects). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller?.close();
  }

  /** Breaks the stream (network error). */
  fail(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller?.error(new TypeError('network error'));
  }
}

interface Route {
  method: string;
  path: string | RegExp;
  handler: FakeHandler;
}

/**
 * Routes requests to handlers; unmatched requests get 404. Later routes win, so a test can
 * override a default route.
 * @example
 * ```ts
 * const server = new FakeServer();
 * server.on('POST', '/api/consults/c1/token', () => jsonResponse({ token: 't' }));
 * createConsultClient({ tokenUrl: 'https://portal/api', fetch: server.fetch });
 * ```
 * @public
 */
export class FakeServer {
  readonly requests: FakeRequest[] = [];
  private readonly routes: Route[] = [];

  /** Adds a route. `path` matches the URL's pathname exactly, or by RegExp. */
  on(method: string, path: string | RegExp, handler: FakeHandler): this {
    this.routes.unshift({ method: method.toUpperCase(), path, handler });
    return this;
  }

  /** Requests to a path (and method). */
  requestsTo(path: string | RegExp, method?: string): FakeRequest[] {
    return this.requests.filter(
      (r) =>
        (method === undefined || r.method === method.toUpperCase()) &&
        (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** The fetch to inject. Honours the request's AbortSignal like a real fetch. */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    let body: unknown = undefined;
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const signal = init?.signal ?? undefined;
    const path = new URL(url, 'http://localhost').pathname;
    const request: FakeRequest = { method, url, path, headers, body, signal };
    this.requests.push(request);
    if (signal?.aborted) throw abortError();
    const route = this.routes.find(
      (r) =>
        r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
    );
    const answer = Promise.resolve(
      route ? route.handler(request) : errorResponse(404, 'not-found'),
    );
    if (!signal) return answer;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = (): void => reject(abortError());
      signal.addEventListener('abort', onAbort, { once: true });
      answer.then(
        (response) => {
          signal.removeEventListener('abort', onAbort);
          resolve(response);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };
}

function abortError(): Error {
  const error = new Error('The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

/** A promise with its resolve/reject exposed, for handlers that answer later. @public */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Creates a {@link Deferred}. @public */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
