/**
 * JSON-RPC 2.0 over WebSocket at `/openvidu`, as openvidu-browser 2.32 speaks it: Kurento-style RPC
 * sessions (re-bindable with `connect` within a reconnection window), a ping watchdog, and a dispatch
 * table onto {@link SessionManager}. Every request gets an answer; nothing here throws into `ws`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { RawData } from 'ws';
import type { SessionManager } from './core.js';
import { RpcCode, RpcError } from './errors.js';
import { newRpcSessionId } from './ids.js';
import type { Logger } from './logger.js';
import type { ConnectionRecord, ParticipantTransport } from './model.js';
import type { TimerRegistry } from './timers.js';
import { errorMessage } from '../shared/errors.js';

export interface RpcConfig {
  manager: SessionManager;
  timers: TimerRegistry;
  logger: Logger;
  /** Largest accepted frame; bigger frames close the socket with 1009 (ws `maxPayload`). */
  maxMessageBytes: number;
  /** How long a participant whose socket dropped is kept for `connect` re-binding. */
  reconnectWindowMs: number;
  /** Socket closed when no ping arrives for `factor × interval` (interval from the first ping). */
  pingTimeoutFactor: number;
}

type Params = Record<string, unknown>;

class RpcSession implements ParticipantTransport {
  readonly id = newRpcSessionId();
  connection: ConnectionRecord | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: RpcServer,
    public ws: WebSocket | null,
  ) {}

  notify(method: string, params: object): void {
    this.server.send(this.ws, { jsonrpc: '2.0', method, params });
  }

  detach(closeDelayMs: number): void {
    this.connection = undefined;
    this.server.releaseSession(this, closeDelayMs);
  }
}

interface SocketState {
  ws: WebSocket;
  session: RpcSession;
  ip: string | null;
  pingInterval: number | undefined;
  watchdog: NodeJS.Timeout | undefined;
}

function asParams(v: unknown): Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Params) : {};
}

function need(params: Params, key: string, method: string): string {
  const v = params[key];
  if (typeof v !== 'string' || v === '') throw RpcError.missingParam(key, method);
  return v;
}

function normalizeIp(ip: string | undefined): string | null {
  if (!ip) return null;
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class RpcServer {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, RpcSession>();
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly cfg: RpcConfig) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: cfg.maxMessageBytes });
  }

  /** Node `upgrade` handler; only `/openvidu` (any query) is accepted. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/openvidu' && path !== '/openvidu/') {
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  stats(): { sockets: number; rpcSessions: number } {
    return { sockets: this.sockets.size, rpcSessions: this.sessions.size };
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    for (const s of this.sessions.values()) {
      this.cfg.timers.clear(s.graceTimer);
      this.cfg.timers.clear(s.closeTimer);
    }
    this.sessions.clear();
    this.wss.close();
  }

  send(ws: WebSocket | null, msg: object): void {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(msg));
  }

  /** Called when the participant of `s` is gone: close its socket later, or forget it now. */
  releaseSession(s: RpcSession, closeDelayMs: number): void {
    this.cfg.timers.clear(s.graceTimer);
    s.graceTimer = undefined;
    if (!s.ws) {
      this.sessions.delete(s.id);
      return;
    }
    const ws = s.ws;
    this.cfg.timers.clear(s.closeTimer);
    if (closeDelayMs <= 0) ws.close(1000, 'Participant left');
    else s.closeTimer = this.cfg.timers.set(() => ws.close(1000, 'Participant left'), closeDelayMs);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const session = new RpcSession(this, ws);
    this.sessions.set(session.id, session);
    this.sockets.add(ws);
    const state: SocketState = {
      ws,
      session,
      ip: normalizeIp(req.socket.remoteAddress),
      pingInterval: undefined,
      watchdog: undefined,
    };
    ws.on('message', (data, isBinary) => this.onMessage(state, data, isBinary));
    ws.on('error', (err) => {
      // e.g. a frame over maxPayload: ws then closes with 1009.
      this.cfg.logger.warn('websocket error', { error: err.message });
    });
    ws.on('close', () => this.onClose(state));
  }

  private onClose(state: SocketState): void {
    this.cfg.timers.clear(state.watchdog);
    state.watchdog = undefined;
    this.sockets.delete(state.ws);
    const s = state.session;
    if (s.ws !== state.ws) return; // re-bound to a newer socket
    s.ws = null;
    this.cfg.timers.clear(s.closeTimer);
    s.closeTimer = undefined;
    if (!s.connection) {
      this.sessions.delete(s.id);
      return;
    }
    this.cfg.logger.info('participant socket dropped', { connectionId: s.connection.id });
    s.graceTimer = this.cfg.timers.set(() => {
      s.graceTimer = undefined;
      this.sessions.delete(s.id);
      const c = s.connection;
      s.connection = undefined;
      if (c) this.cfg.manager.evict(c, 'networkDisconnect');
    }, this.cfg.reconnectWindowMs);
  }

  private resetWatchdog(state: SocketState): void {
    this.cfg.timers.clear(state.watchdog);
    state.watchdog = undefined;
    if (state.pingInterval === undefined || state.ws.readyState !== WebSocket.OPEN) return;
    state.watchdog = this.cfg.timers.set(() => {
      state.watchdog = undefined;
      this.cfg.logger.info('no ping from client, closing socket');
      state.ws.close(4000, 'Close for not receive ping from client');
    }, state.pingInterval * this.cfg.pingTimeoutFactor);
  }

  private reply(state: SocketState, id: number | string | null, result: object): void {
    this.send(state.ws, { jsonrpc: '2.0', id, result });
  }

  private replyError(
    state: SocketState,
    id: number | string | null,
    code: number,
    message: string,
  ): void {
    this.send(state.ws, {
      jsonrpc: '2.0',
      id,
      error: { code, message, data: { sessionId: state.session.id } },
    });
  }

  private onMessage(state: SocketState, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.replyError(state, null, RpcCode.INVALID_REQUEST, 'Binary frames are not supported');
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(rawToString(data));
    } catch {
      this.replyError(
        state,
        null,
        RpcCode.PARSE_ERROR,
        'Parse error: the message is not valid JSON',
      );
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.replyError(
        state,
        null,
        RpcCode.INVALID_REQUEST,
        'Invalid request: expected a JSON object',
      );
      return;
    }
    const m = msg as Record<string, unknown>;
    const rawId = m['id'];
    const id = typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null;
    if (typeof m['method'] !== 'string') {
      // A response to something we never asked (we send no requests): ignore it, as Kurento does.
      if ('result' in m || 'error' in m) return;
      this.replyError(state, id, RpcCode.INVALID_REQUEST, "Invalid request: missing 'method'");
      return;
    }
    if (m['jsonrpc'] !== '2.0') {
      this.replyError(
        state,
        id,
        RpcCode.INVALID_REQUEST,
        'Invalid request: \'jsonrpc\' must be "2.0"',
      );
      return;
    }
    if (id === null) return; // a client notification: nothing to answer, nothing we act on
    const method = m['method'];
    const params = asParams(m['params']);
    this.handle(state, method, params).then(
      (result) => this.reply(state, id, result),
      (err: unknown) => {
        if (err instanceof RpcError) {
          this.cfg.logger.debug('rpc error', { method, code: err.code });
          this.replyError(state, id, err.code, err.message);
        } else {
          const message = errorMessage(err);
          this.cfg.logger.error('rpc handler failed', { method, error: message });
          this.replyError(state, id, RpcCode.GENERIC, `Internal error: ${message}`);
        }
      },
    );
  }

  /** Resolves with the `result` object (already tagged with the RPC session id where Kurento does). */
  private async handle(state: SocketState, method: string, params: Params): Promise<object> {
    const rs = state.session;
    const tag = (r: object): object => ({ ...r, sessionId: state.session.id });
    switch (method) {
      case 'ping': {
        if (typeof params['interval'] === 'number' && params['interval'] > 0) {
          state.pingInterval = params['interval'];
        }
        this.resetWatchdog(state);
        return { value: 'pong' };
      }
      case 'connect':
        return this.connect(state, params);
      case 'joinRoom': {
        if (rs.connection) {
          throw new RpcError(RpcCode.EXISTING_USER_IN_ROOM, 'This socket already joined a session');
        }
        const token = need(params, 'token', method);
        const session = need(params, 'session', method);
        const metadata = params['metadata'] ?? '';
        if (typeof metadata !== 'string') {
          throw new RpcError(RpcCode.USER_METADATA_FORMAT_INVALID, 'metadata must be a string');
        }
        const platform = typeof params['platform'] === 'string' ? params['platform'] : 'unknown';
        const { result, connection } = this.cfg.manager.joinRoom(
          { token, session, metadata, platform, ip: state.ip },
          rs,
        );
        rs.connection = connection;
        return tag(result);
      }
      case 'subscribeToSpeechToText':
      case 'unsubscribeFromSpeechToText':
      case 'sessionStatus':
        throw new RpcError(RpcCode.WRONG_OPENVIDU_EDITION, `${method} requires OpenVidu Pro`);
      case 'prepareReceiveVideoFrom':
        throw new RpcError(
          RpcCode.MEDIA_SDP,
          'Server-offered subscriptions are not supported (mediaServer is "kurento")',
        );
      default:
        break;
    }
    if (!KNOWN_METHODS.has(method)) {
      throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Method not found: ${method.slice(0, 64)}`);
    }
    const c = rs.connection;
    if (!c) {
      throw new RpcError(
        RpcCode.TRANSPORT_ERROR,
        `No connection found for participant with privateId ${rs.id}. Session.connect() must be the first operation`,
      );
    }
    const mgr = this.cfg.manager;
    switch (method) {
      case 'publishVideo':
        return tag(await mgr.streams.publish(c, params));
      case 'unpublishVideo':
        mgr.streams.unpublish(c, 'unpublish');
        return tag({});
      case 'receiveVideoFrom': {
        const sender = need(params, 'sender', method);
        const sdpOffer = params['sdpOffer'];
        if (typeof sdpOffer !== 'string' || !sdpOffer) {
          if (typeof params['sdpAnswer'] === 'string') {
            throw new RpcError(RpcCode.MEDIA_SDP, 'Server-offered subscriptions are not supported');
          }
          throw RpcError.missingParam('sdpOffer', method);
        }
        return tag(await mgr.streams.subscribe(c, sender, sdpOffer, false));
      }
      case 'unsubscribeFromVideo':
        mgr.streams.unsubscribe(c, need(params, 'sender', method));
        return tag({});
      case 'onIceCandidate': {
        const endpointName = need(params, 'endpointName', method);
        const candidate = params['candidate'];
        if (typeof candidate !== 'string') throw RpcError.missingParam('candidate', method);
        const sdpMid = typeof params['sdpMid'] === 'string' ? params['sdpMid'] : null;
        const idx = params['sdpMLineIndex'];
        const sdpMLineIndex = typeof idx === 'number' ? idx : null;
        mgr.streams.addIceCandidate(c, endpointName, { candidate, sdpMid, sdpMLineIndex });
        return tag({});
      }
      case 'sendMessage':
        mgr.sendMessageFromParticipant(c, need(params, 'message', method));
        return tag({});
      case 'streamPropertyChanged':
        mgr.streams.streamPropertyChanged(c, params);
        return tag({});
      case 'videoData':
      case 'echo':
        return tag({});
      case 'leaveRoom':
        mgr.leave(c);
        return tag({});
      case 'forceDisconnect':
        mgr.forceDisconnect(c, need(params, 'connectionId', method));
        return tag({});
      case 'forceUnpublish':
        mgr.forceUnpublish(c, need(params, 'streamId', method));
        return tag({});
      case 'reconnectStream': {
        const stream = need(params, 'stream', method);
        if (c.publisher && c.publisher.streamId === stream) {
          const offer = params['sdpString'] ?? params['sdpOffer'];
          if (typeof offer !== 'string' || !offer) throw RpcError.missingParam('sdpString', method);
          return tag(await mgr.streams.reconnectPublisher(c, offer));
        }
        const sdpOffer = params['sdpOffer'];
        if (typeof sdpOffer !== 'string' || !sdpOffer) {
          throw new RpcError(
            RpcCode.MEDIA_SDP,
            'Server-offered subscriber reconnection is not supported',
          );
        }
        return tag(await mgr.streams.subscribe(c, stream, sdpOffer, true));
      }
      case 'applyFilter':
        mgr.filters.apply(c, params);
        return tag({});
      case 'execFilterMethod':
        mgr.filters.execMethod(c, params);
        return tag({});
      case 'removeFilter':
        mgr.filters.remove(c, params);
        return tag({});
      case 'addFilterEventListener':
      case 'removeFilterEventListener':
        mgr.filters.listener(c, params, method);
        return tag({});
      default:
        throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  }

  /** Kurento's reconnection handshake: re-bind a kept RPC session to this socket. */
  private connect(state: SocketState, params: Params): object {
    const wanted = params['sessionId'];
    if (typeof wanted !== 'string' || wanted === '') {
      return { value: 'OK', sessionId: state.session.id };
    }
    const old = this.sessions.get(wanted);
    if (!old) throw new RpcError(RpcCode.RECONNECTION_ERROR, 'reconnection error');
    if (old === state.session) return { value: 'reconnection successful', sessionId: old.id };
    const fresh = state.session;
    if (fresh.connection) {
      throw new RpcError(RpcCode.RECONNECTION_ERROR, 'reconnection error');
    }
    this.sessions.delete(fresh.id);
    this.cfg.timers.clear(old.graceTimer);
    old.graceTimer = undefined;
    this.cfg.timers.clear(old.closeTimer);
    old.closeTimer = undefined;
    const previous = old.ws;
    old.ws = state.ws;
    state.session = old;
    if (previous && previous !== state.ws) previous.close(4000, 'Reconnected on another socket');
    this.cfg.logger.info('participant socket re-bound', { connectionId: old.connection?.id });
    return { value: 'reconnection successful', sessionId: old.id };
  }
}

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'publishVideo',
  'unpublishVideo',
  'receiveVideoFrom',
  'unsubscribeFromVideo',
  'onIceCandidate',
  'sendMessage',
  'streamPropertyChanged',
  'videoData',
  'echo',
  'leaveRoom',
  'forceDisconnect',
  'forceUnpublish',
  'reconnectStream',
  'applyFilter',
  'execFilterMethod',
  'removeFilter',
  'addFilterEventListener',
  'removeFilterEventListener',
]);

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
