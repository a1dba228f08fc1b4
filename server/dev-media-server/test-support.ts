/**
 * Test support for the signalling plane: a scriptable fake {@link MediaRouter}, a raw JSON-RPC
 * WebSocket client, a webhook receiver and condition waits. Not shipped.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenVidu } from 'openvidu-node-client';
import WebSocket from 'ws';
import type { DevMediaServer, DevMediaServerOptions } from './index.js';
import { startDevMediaServer } from './index.js';
import type {
  ActiveRecording,
  IceCandidate,
  MediaRouter,
  MediaStats,
  PublishRequest,
  RecordingRequest,
  RecordingResult,
  SubscribeRequest,
} from './media/types.js';
import { waitFor } from '../shared/test-support.js';

export { waitFor };

// ───────────────────────────── fake router ─────────────────────────────

export interface FakeRecordingState {
  req: RecordingRequest;
  streams: Set<string>;
  stopped: boolean;
}

/** A MediaRouter that answers every negotiation instantly and remembers what it was asked. */
export class FakeRouter implements MediaRouter {
  readonly endpoints = new Map<string, { onLocalCandidate: (c: IceCandidate) => void }>();
  readonly candidates = new Map<string, IceCandidate[]>();
  readonly released: string[] = [];
  readonly recordings: FakeRecordingState[] = [];
  /** Make the next negotiations fail. */
  failNegotiations = false;
  /** Make `startRecording` fail / recordings fail on stop. */
  failRecordingStart = false;
  failRecordingStop = false;
  closed = false;

  private answer(
    id: string,
    onLocalCandidate: (c: IceCandidate) => void,
  ): Promise<{ sdpAnswer: string }> {
    if (this.failNegotiations) return Promise.reject(new Error('negotiation failed (fake)'));
    this.endpoints.set(id, { onLocalCandidate });
    // One server candidate, trickled right after the answer.
    setImmediate(() =>
      this.endpoints.get(id)?.onLocalCandidate({
        candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      }),
    );
    return Promise.resolve({ sdpAnswer: `v=0\r\no=- fake ${id}\r\n` });
  }

  publish(req: PublishRequest): Promise<{ sdpAnswer: string }> {
    return this.answer(req.streamId, req.onLocalCandidate);
  }
  subscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }> {
    return this.answer(req.endpointId, req.onLocalCandidate);
  }
  republish(req: PublishRequest): Promise<{ sdpAnswer: string }> {
    return this.answer(req.streamId, req.onLocalCandidate);
  }
  resubscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }> {
    return this.answer(req.endpointId, req.onLocalCandidate);
  }
  addIceCandidate(endpointId: string, candidate: IceCandidate): void {
    const list = this.candidates.get(endpointId) ?? [];
    list.push(candidate);
    this.candidates.set(endpointId, list);
  }
  release(endpointId: string): void {
    this.released.push(endpointId);
    this.endpoints.delete(endpointId);
    this.candidates.delete(endpointId);
  }
  startRecording(req: RecordingRequest): Promise<ActiveRecording> {
    if (this.failRecordingStart) return Promise.reject(new Error('recorder failed (fake)'));
    const state: FakeRecordingState = { req, streams: new Set(req.streamIds), stopped: false };
    this.recordings.push(state);
    const active: ActiveRecording = {
      addStream: (id) => void state.streams.add(id),
      removeStream: (id) => void state.streams.delete(id),
      stop: async (): Promise<RecordingResult> => {
        state.stopped = true;
        if (this.failRecordingStop) throw new Error('composition failed (fake)');
        const fileName = `${req.name}.${req.outputMode === 'COMPOSED' ? 'mp4' : 'zip'}`;
        const content = Buffer.from('fake recording bytes 0123456789');
        await writeFile(join(req.dir, fileName), content);
        return { size: content.length, duration: 1.5, fileName };
      },
    };
    return Promise.resolve(active);
  }
  stats(): MediaStats {
    return {
      peerConnections: this.endpoints.size,
      publishers: [...this.endpoints.keys()].filter((k) => k.startsWith('str_')).length,
      subscribers: [...this.endpoints.keys()].filter((k) => k.includes('<-')).length,
      recorders: this.recordings.filter((r) => !r.stopped).length,
      forwardedPackets: 0,
    };
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

// ───────────────────────────── server fixture ─────────────────────────────

export interface TestServer {
  server: DevMediaServer;
  router: FakeRouter;
  ov: OpenVidu;
  recordingsDir: string;
  close(): Promise<void>;
}

/** A server on a random port with a fake router, short timeouts and a temporary recordings folder. */
export async function startTestServer(options: DevMediaServerOptions = {}): Promise<TestServer> {
  const recordingsDir = await mkdtemp(join(tmpdir(), 'ck-dms-'));
  const router = new FakeRouter();
  const server = await startDevMediaServer({
    port: 0,
    recordingsDir,
    mediaRouter: router,
    ...options,
    timeouts: {
      reconnectWindowMs: 300,
      socketCloseDelayMs: 50,
      recordingAutostopMs: 200,
      ...options.timeouts,
    },
  });
  const ov = new OpenVidu(server.url, server.secret);
  ov.enableProdMode();
  return {
    server,
    router,
    ov,
    recordingsDir,
    async close() {
      await server.close();
      await rm(recordingsDir, { recursive: true, force: true });
    },
  };
}

export function basicAuth(secret = 'MY_SECRET'): string {
  return `Basic ${Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64')}`;
}

/** A REST call with the right credentials; returns status, headers and parsed body (or text). */
export async function api(
  server: DevMediaServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      Authorization: basicAuth(server.secret),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// ───────────────────────────── JSON-RPC client ─────────────────────────────

export interface RpcResponse {
  id: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface Notification {
  method: string;
  params: Record<string, unknown>;
}

/** A raw openvidu-browser-like JSON-RPC client over `ws`. */
export class RpcClient {
  /** Every client not closed yet (for per-test cleanup). */
  static readonly open_ = new Set<RpcClient>();
  readonly notifications: Notification[] = [];
  readonly responses: RpcResponse[] = [];
  /** Every frame in arrival order (for ordering assertions). */
  readonly frames: Record<string, unknown>[] = [];
  private nextId = 0;
  private readonly waiting = new Map<number, (r: RpcResponse) => void>();
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      this.frames.push(msg);
      if (typeof msg['method'] === 'string') {
        this.notifications.push({
          method: msg['method'],
          params: (msg['params'] ?? {}) as Record<string, unknown>,
        });
        return;
      }
      const r = msg as unknown as RpcResponse;
      this.responses.push(r);
      if (typeof r.id === 'number') {
        const resolve = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        resolve?.(r);
      }
    });
    RpcClient.open_.add(this);
    ws.on('close', (code) => {
      this.closeCode = code;
      RpcClient.open_.delete(this);
    });
    ws.on('error', () => undefined);
  }

  /** Opens `ws://…/openvidu?sessionId=…` like openvidu-browser does. */
  static async open(server: DevMediaServer, sessionId = ''): Promise<RpcClient> {
    const base = server.url.replace(/^http/, 'ws');
    const ws = new WebSocket(`${base}/openvidu?sessionId=${sessionId}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RpcClient(ws);
  }

  /** Sends a raw frame (for malformed-input tests). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  request(method: string, params?: object, timeoutMs = 3000): Promise<RpcResponse> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}), id }));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer to ${method} (id ${id}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }

  /** Like {@link request} but fails unless the answer is a result. */
  async call(method: string, params?: object): Promise<Record<string, unknown>> {
    const r = await this.request(method, params);
    if (r.error || !r.result) assert.fail(`${method} failed: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  async expectError(
    method: string,
    params: object | undefined,
    code: number,
  ): Promise<RpcResponse> {
    const r = await this.request(method, params);
    assert.ok(r.error, `${method} should fail with ${code}, got ${JSON.stringify(r.result)}`);
    assert.equal(r.error.code, code, `${method}: ${r.error.message}`);
    return r;
  }

  /** Waits for a notification matching `method` (and `pred`), returns it. */
  async notification(
    method: string,
    pred: (p: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Record<string, unknown>> {
    let found: Notification | undefined;
    await waitFor(
      `notification ${method}`,
      () =>
        (found = this.notifications.find((n) => n.method === method && pred(n.params))) !==
        undefined,
      timeoutMs,
    );
    return (found as Notification).params;
  }

  count(method: string): number {
    return this.notifications.filter((n) => n.method === method).length;
  }

  async closed(timeoutMs = 3000): Promise<number> {
    if (this.closeCode !== undefined) return this.closeCode;
    let code: number | undefined;
    await waitFor('socket close', () => (code = this.closeCode) !== undefined, timeoutMs);
    return code as number;
  }

  close(): void {
    this.ws.close(4102, 'Connection closed by client');
  }

  /** Drops the TCP connection without a close handshake (a network failure). */
  drop(): void {
    this.ws.terminate();
  }
}

/** Closes every client still open and waits until the server has seen all sockets go. */
export async function closeAllClients(server: DevMediaServer): Promise<void> {
  for (const c of RpcClient.open_) c.close();
  await waitFor(
    'all sockets closed',
    () => RpcClient.open_.size === 0 && server.stats().sockets === 0,
  );
}

/** Creates a connection over REST and joins it with a raw client (ping first, like the browser). */
export async function joinNew(
  t: TestServer,
  sessionId: string,
  opts: { role?: 'SUBSCRIBER' | 'PUBLISHER' | 'MODERATOR'; metadata?: string; data?: string } = {},
): Promise<{
  client: RpcClient;
  connectionId: string;
  join: Record<string, unknown>;
  token: string;
}> {
  const conn = await api(t.server, 'POST', `/openvidu/api/sessions/${sessionId}/connection`, {
    role: opts.role ?? 'PUBLISHER',
    data: opts.data ?? '',
  });
  assert.equal(conn.status, 200, conn.text);
  const token = (conn.json as { token: string }).token;
  const client = await RpcClient.open(t.server, sessionId);
  await client.call('ping', { interval: 5000 });
  const join = await client.call('joinRoom', {
    token,
    session: sessionId,
    platform: 'Node test',
    sdkVersion: '2.32.2',
    metadata: opts.metadata ?? '',
    secret: '',
    recorder: false,
    stt: false,
  });
  return { client, connectionId: join['id'] as string, join, token };
}

/** Publishes with a fake offer; returns the stream id. */
export async function publish(client: RpcClient, extra: object = {}): Promise<string> {
  const r = await client.call('publishVideo', {
    doLoopback: false,
    hasAudio: true,
    hasVideo: true,
    audioActive: true,
    videoActive: true,
    typeOfVideo: 'CAMERA',
    frameRate: 30,
    videoDimensions: JSON.stringify({ width: 640, height: 480 }),
    sdpOffer: 'v=0\r\nfake-offer\r\n',
    ...extra,
  });
  return r['id'] as string;
}

// ───────────────────────────── webhook receiver ─────────────────────────────

export interface ReceivedWebhook {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Status we answered with. */
  status: number;
}

/** A local HTTP server collecting webhook POSTs; `statuses` scripts the answers (then 200). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly statuses: number[] = [];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = this.statuses.shift() ?? 200;
      this.received.push({
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        headers: req.headers,
        status,
      });
      res.statusCode = status;
      res.end();
    });
  });

  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
    return this;
  }

  /** Events answered with 200, in order. */
  delivered(): Record<string, unknown>[] {
    return this.received.filter((r) => r.status === 200).map((r) => r.body);
  }

  async event(
    name: string,
    pred: (b: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitFor(
      `webhook ${name}`,
      () => (found = this.delivered().find((b) => b['event'] === name && pred(b))) !== undefined,
      timeoutMs,
    );
    return found as Record<string, unknown>;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
