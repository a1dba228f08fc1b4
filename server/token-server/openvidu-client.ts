/**
 * A small typed OpenVidu 2.32 REST client over `node:http` with a keep-alive agent, or an injected
 * `fetch` (no axios; see `openvidu-transport.ts`). Every call has a bounded timeout;
 * network failures, timeouts and 5xx answers become {@link OpenViduUnavailableError}, other non-2xx
 * answers {@link OpenViduHttpError} with the status. The secret only ever goes into the
 * `Authorization` header: it is never logged and never part of an error message.
 */

import type { OpenViduRecordingStatus, OpenViduRole } from '../shared/openvidu.js';
import type { MediaServer } from './services/media-server.js';
import type { HttpTransport, Transport, TransportAnswer } from './openvidu-transport.js';
import { fetchTransport, httpTransport } from './openvidu-transport.js';

export type { OpenViduRecordingStatus, OpenViduRole };

export interface OpenViduConnection {
  connectionId: string;
  status: 'pending' | 'active';
  token: string | null;
  role: OpenViduRole;
  serverData: string;
  createdAt: number;
  activeAt: number | null;
}

export interface OpenViduSession {
  sessionId: string;
  createdAt: number;
  recording: boolean;
  connections: { numberOfElements: number; content: OpenViduConnection[] };
}

export interface OpenViduRecording {
  id: string;
  name: string;
  sessionId: string;
  outputMode: string;
  createdAt: number;
  size: number;
  duration: number;
  url: string | null;
  hasAudio: boolean;
  hasVideo: boolean;
  status: OpenViduRecordingStatus;
}

export class OpenViduUnavailableError extends Error {
  override readonly name = 'OpenViduUnavailableError';
}

export class OpenViduHttpError extends Error {
  override readonly name = 'OpenViduHttpError';
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`OpenVidu answered ${status} to ${what}`);
  }
}

export interface OpenViduClientOptions {
  /** Base URL, e.g. `https://media.example.com` (any path is kept as a prefix). */
  url: string;
  secret: string;
  /** Per-request timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Sends the requests with this `fetch` instead of `node:http` (tests, custom networking). */
  fetch?: typeof fetch;
}

/**
 * Requests in flight to the media server at once; more wait their turn (their timeout runs while
 * they wait). Fifty callers at once used to open fifty connections to a media server whose event
 * loop was already busy: on a loaded machine its accept queue overflowed (ECONNREFUSED) and
 * kept-alive sockets were closed under requests (UND_ERR_SOCKET), so tokens failed with 503. A
 * bounded number keeps a few connections busy and reused instead.
 */
export const MAX_CONCURRENT_REQUESTS = 16;

/** A counting semaphore whose waiters can give up (abort). */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves when a slot is taken; rejects if `signal` aborts first. */
  take(signal: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', giveUp);
        resolve();
      };
      const giveUp = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason as Error);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', giveUp, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Whether a request failed because the connection was refused (nothing was sent): `node:http`
 * puts the code on the error, `fetch` on its `cause`.
 */
function isRefused(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 'ECONNREFUSED' || e?.cause?.code === 'ECONNREFUSED';
}

export class OpenViduClient implements MediaServer {
  readonly kind = 'openvidu' as const;

  private readonly base: string;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly send: Transport;
  /** The default transport's sockets (none with an injected `fetch`). */
  private readonly http: HttpTransport | undefined;
  private readonly slots = new Slots(MAX_CONCURRENT_REQUESTS);

  constructor(options: OpenViduClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.auth = `Basic ${Buffer.from(`OPENVIDUAPP:${options.secret}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 5000;
    if (options.fetch) this.send = fetchTransport(options.fetch);
    else {
      this.http = httpTransport({ maxSockets: MAX_CONCURRENT_REQUESTS });
      this.send = this.http.send;
    }
  }

  /** Closes the connections to the media server (the server is shutting down). */
  close(): void {
    this.http?.close();
  }

  /** OpenVidu tokens carry their server's URL; the SDK's default backend is OpenVidu. */
  tokenFields(): Record<string, never> {
    return {};
  }

  /** Low-level request; `what` names the call in errors (never the URL with credentials). */
  async request(
    method: string,
    path: string,
    what: string,
    init: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Response> {
    const { answer, done } = await this.exchange(method, path, what, init);
    // The body is the caller's to stream: the timeout covered the headers only.
    done();
    return answer.response();
  }

  /**
   * Sends a request through the slots, the timeout and the one retry of a refused connection;
   * resolves once the answer's headers arrived (5xx already turned into
   * {@link OpenViduUnavailableError}). `done` clears the timeout: call it once the body is read,
   * or before handing the body out to be streamed.
   */
  private async exchange(
    method: string,
    path: string,
    what: string,
    init: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ answer: TransportAnswer; signal: AbortSignal; done: () => void }> {
    const headers: Record<string, string> = { Authorization: this.auth, ...init.headers };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    // The timeout covers the answer's headers, and for JSON calls the body too.
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new DOMException('timed out', 'TimeoutError')),
      init.timeoutMs ?? this.timeoutMs,
    );
    timer.unref?.();
    const done = (): void => clearTimeout(timer);
    let answer: TransportAnswer;
    try {
      await this.slots.take(abort.signal);
    } catch {
      throw new OpenViduUnavailableError(`OpenVidu ${what} timed out`);
    }
    const url = `${this.base}${path}`;
    const request = {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: abort.signal,
    };
    try {
      try {
        answer = await this.send(url, request);
      } catch (e) {
        // A refused connection never reached the media server (a full accept queue on a busy
        // machine): one more try is safe for any call.
        if (abort.signal.aborted || !isRefused(e)) throw e;
        answer = await this.send(url, request);
      }
    } catch {
      done();
      const kind = abort.signal.aborted ? 'timed out' : 'failed';
      throw new OpenViduUnavailableError(`OpenVidu ${what} ${kind}`);
    } finally {
      this.slots.release();
    }
    if (answer.status >= 500) {
      done();
      await answer.discard();
      throw new OpenViduUnavailableError(`OpenVidu answered ${answer.status} to ${what}`);
    }
    return { answer, signal: abort.signal, done };
  }

  private async json<T>(
    method: string,
    path: string,
    what: string,
    expected: number[],
    body?: unknown,
  ): Promise<{ status: number; data: T | undefined }> {
    const { answer, signal, done } = await this.exchange(
      method,
      path,
      what,
      body !== undefined ? { body } : {},
    );
    if (!expected.includes(answer.status)) {
      done();
      await answer.discard();
      throw new OpenViduHttpError(answer.status, what);
    }
    const text = await answer
      .text()
      .catch(() => {
        throw new OpenViduUnavailableError(
          `OpenVidu ${what}: ${signal.aborted ? 'timed out' : 'body read failed'}`,
        );
      })
      .finally(done);
    if (!text) return { status: answer.status, data: undefined };
    try {
      return { status: answer.status, data: JSON.parse(text) as T };
    } catch {
      throw new OpenViduUnavailableError(`OpenVidu ${what}: invalid JSON`);
    }
  }

  /** Creates the session with a custom id; `created: false` when it already existed (409). */
  async createSession(customSessionId: string): Promise<{ created: boolean }> {
    const r = await this.json('POST', '/openvidu/api/sessions', 'createSession', [200, 409], {
      customSessionId,
      mediaMode: 'ROUTED',
      recordingMode: 'MANUAL',
    });
    return { created: r.status === 200 };
  }

  async getSession(sessionId: string): Promise<OpenViduSession | undefined> {
    const r = await this.json<OpenViduSession>(
      'GET',
      `/openvidu/api/sessions/${encodeURIComponent(sessionId)}?pendingConnections=false`,
      'getSession',
      [200, 404],
    );
    return r.status === 404 ? undefined : r.data;
  }

  async closeSession(sessionId: string): Promise<boolean> {
    const r = await this.json(
      'DELETE',
      `/openvidu/api/sessions/${encodeURIComponent(sessionId)}`,
      'closeSession',
      [204, 404],
    );
    return r.status === 204;
  }

  /**
   * Evicts an active connection (its user sees `forceDisconnectByServer`) or revokes a pending one's
   * token; false when it was gone already.
   */
  async destroyConnection(sessionId: string, connectionId: string): Promise<boolean> {
    const r = await this.json(
      'DELETE',
      `/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection/${encodeURIComponent(connectionId)}`,
      'destroyConnection',
      [204, 400, 404],
    );
    return r.status === 204;
  }

  /**
   * Creates a connection; `undefined` when the session does not exist (404). `record` (default
   * true) says whether a recording of the session includes it.
   */
  async createConnection(
    sessionId: string,
    props: { role: OpenViduRole; data: string; record?: boolean },
  ): Promise<OpenViduConnection | undefined> {
    const r = await this.json<OpenViduConnection>(
      'POST',
      `/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection`,
      'createConnection',
      [200, 404],
      { type: 'WEBRTC', role: props.role, data: props.data, record: props.record ?? true },
    );
    if (r.status === 404) return undefined;
    if (!r.data || typeof r.data.token !== 'string' || typeof r.data.connectionId !== 'string')
      throw new OpenViduUnavailableError('OpenVidu createConnection: unexpected answer');
    return r.data;
  }

  /** A connection (pending or active); `undefined` when it or its session does not exist. */
  async getConnection(
    sessionId: string,
    connectionId: string,
  ): Promise<OpenViduConnection | undefined> {
    const r = await this.json<OpenViduConnection>(
      'GET',
      `/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection/${encodeURIComponent(connectionId)}`,
      'getConnection',
      [200, 400, 404],
    );
    return r.status === 200 ? r.data : undefined;
  }

  /** Starts a COMPOSED recording; throws OpenViduHttpError 404/406/409/… on refusal. */
  async startRecording(sessionId: string, name?: string): Promise<OpenViduRecording> {
    const r = await this.json<OpenViduRecording>(
      'POST',
      '/openvidu/api/recordings/start',
      'startRecording',
      [200],
      { session: sessionId, outputMode: 'COMPOSED', ...(name ? { name } : {}) },
    );
    return this.recordingOf(r.data, 'startRecording');
  }

  async stopRecording(recordingId: string): Promise<OpenViduRecording> {
    const r = await this.json<OpenViduRecording>(
      'POST',
      `/openvidu/api/recordings/stop/${encodeURIComponent(recordingId)}`,
      'stopRecording',
      [200],
    );
    return this.recordingOf(r.data, 'stopRecording');
  }

  async getRecording(recordingId: string): Promise<OpenViduRecording | undefined> {
    const r = await this.json<OpenViduRecording>(
      'GET',
      `/openvidu/api/recordings/${encodeURIComponent(recordingId)}`,
      'getRecording',
      [200, 404],
    );
    return r.status === 404 ? undefined : this.recordingOf(r.data, 'getRecording');
  }

  /** `true` when deleted, `false` when unknown (404); 409 (still active) throws. */
  async deleteRecording(recordingId: string): Promise<boolean> {
    const r = await this.json(
      'DELETE',
      `/openvidu/api/recordings/${encodeURIComponent(recordingId)}`,
      'deleteRecording',
      [204, 404],
    );
    return r.status === 204;
  }

  /**
   * Opens the recording file (`/openvidu/recordings/{id}/{file}`), forwarding `Range`/`If-Range`.
   * The answer's body is returned unread, so callers stream it.
   */
  async openRecordingFile(
    recordingId: string,
    fileName: string,
    headers: Record<string, string>,
  ): Promise<Response> {
    return this.request(
      'GET',
      `/openvidu/recordings/${encodeURIComponent(recordingId)}/${encodeURIComponent(fileName)}`,
      'recording download',
      { headers },
    );
  }

  /** Reachability probe (`GET /openvidu/api/config`); resolves to the latency in ms. */
  async ping(timeoutMs: number): Promise<number> {
    const started = Date.now();
    const { answer, done } = await this.exchange('GET', '/openvidu/api/config', 'health check', {
      timeoutMs,
    });
    done();
    await answer.discard();
    if (answer.status !== 200) throw new OpenViduHttpError(answer.status, 'health check');
    return Date.now() - started;
  }

  private recordingOf(data: OpenViduRecording | undefined, what: string): OpenViduRecording {
    if (!data || typeof data.id !== 'string' || typeof data.status !== 'string')
      throw new OpenViduUnavailableError(`OpenVidu ${what}: unexpected answer`);
    return data;
  }
}
