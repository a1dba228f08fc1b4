/**
 * The session manager: every state change of sessions, connections and streams, with the notifications,
 * webhooks and media-router calls each one implies. REST (rest.ts) and JSON-RPC (rpc.ts) are thin
 * adapters over it; recording orchestration (recording.ts) plugs in through {@link RecordingHooks}.
 */
import { cdrBase, participantCdr } from './cdr.js';
import { HttpError, RpcCode, RpcError } from './errors.js';
import { StreamFilters } from './filters.js';
import { newConnectionId, newSessionId, newTokenId, randomAlnum } from './ids.js';
import type { Logger } from './logger.js';
import type { MediaRouter } from './media/types.js';
import {
  DEFAULT_RECORDING_PROPERTIES,
  activeConnections,
  fullMetadata,
  participantRpcJson,
} from './model.js';
import type {
  ConnectionRecord,
  IceServerJson,
  KurentoOptions,
  ParticipantTransport,
  RecordingProperties,
  Role,
  SessionRecord,
} from './model.js';
import { parseParticipantSignal, resolveRecipients } from './signals.js';
import { StreamManager } from './streams.js';
import type { TimerRegistry } from './timers.js';
import type { WebhookEventName } from './webhook.js';

export const SERVER_VERSION = '2.32.2';

export type EndReason =
  | 'unsubscribe'
  | 'unpublish'
  | 'disconnect'
  | 'forceUnpublishByUser'
  | 'forceUnpublishByServer'
  | 'forceDisconnectByUser'
  | 'forceDisconnectByServer'
  | 'lastParticipantLeft'
  | 'recordingStoppedByServer'
  | 'sessionClosedByServer'
  | 'networkDisconnect'
  | 'mediaServerDisconnect'
  | 'openviduServerStopped'
  | 'automaticStop';

/** Reasons for which the leaver itself is told `participantEvicted` (and the others too). */
const EVICTION_REASONS: ReadonlySet<EndReason> = new Set<EndReason>([
  'forceDisconnectByUser',
  'forceDisconnectByServer',
  'sessionClosedByServer',
  'openviduServerStopped',
  'automaticStop',
]);

export interface RecordingHooks {
  /** A stream became visible (router answered). */
  onStreamPublished(session: SessionRecord, connection: ConnectionRecord): void;
  onStreamUnpublished(session: SessionRecord, streamId: string): void;
  /** The last participant left while a recording runs: the session stays until this resolves. */
  stopForSessionClose(session: SessionRecord, reason: EndReason): void;
  /** `{id, name}` of the recording announced to joiners, if one is started. */
  announced(session: SessionRecord): { id: string; name: string } | undefined;
}

export interface CoreConfig {
  /** `ws://host:port` (or `wss://`) prefix of tokens. */
  wsUrl: string;
  iceServers: IceServerJson[];
  router: MediaRouter;
  timers: TimerRegistry;
  logger: Logger;
  webhook: (event: WebhookEventName, body: object) => void;
  /** Delay before closing an evicted/left participant's socket (OpenVidu: 10 s). */
  socketCloseDelayMs: number;
  /** How long the last participant's departure waits for a running recording (OpenVidu: 120 s). */
  recordingAutostopMs: number;
  /** Router calls that take longer fail the RPC request (the browser gives up at 10 s). */
  routerTimeoutMs: number;
  /** Bytes of `sendMessage.message` / REST signal `data` accepted. */
  maxSignalBytes: number;
}

export interface NewSessionProps {
  customSessionId?: string;
  mediaMode?: 'ROUTED' | 'RELAYED';
  recordingMode?: 'MANUAL' | 'ALWAYS';
  defaultRecordingProperties?: RecordingProperties;
  forcedVideoCodec?: string;
  allowTranscoding?: boolean;
  mediaNode?: { id: string };
}

export interface NewConnectionProps {
  data?: string;
  record?: boolean;
  role?: Role;
  kurentoOptions?: KurentoOptions | null;
  customIceServers?: IceServerJson[];
}

export interface JoinParams {
  token: string;
  session: string;
  metadata: string;
  platform: string;
  ip: string | null;
}

/** The `tok_…` part of a token string (or the string itself if it has no query). */
export function tokenIdOf(token: string): string | undefined {
  const q = token.indexOf('?');
  if (q < 0) return /^tok_[a-zA-Z0-9]+$/.test(token) ? token : undefined;
  for (const part of token.slice(q + 1).split('&')) {
    const [k, v] = part.split('=');
    if (k === 'token' && v) return v;
  }
  return undefined;
}

export class SessionManager {
  readonly sessions = new Map<string, SessionRecord>();
  recordingHooks: RecordingHooks | undefined;
  /** Kurento filter bookkeeping (`applyFilter`, `execFilterMethod`, `removeFilter`, listeners). */
  readonly filters = new StreamFilters({
    requireSession: (c) => this.requireSession(c),
    findPublisher: (session, streamId) => this.streams.findPublisher(session, streamId),
  });
  /** Publishing, subscribing, ICE and stream properties of the participants. */
  readonly streams: StreamManager;

  constructor(private readonly cfg: CoreConfig) {
    this.streams = new StreamManager({
      cfg,
      requireSession: (c) => this.requireSession(c),
      recordingHooks: () => this.recordingHooks,
    });
  }

  // ───────────────────────────── sessions ─────────────────────────────

  createSession(props: NewSessionProps): SessionRecord {
    const id = props.customSessionId || newSessionId();
    if (this.sessions.has(id)) throw new HttpError(409);
    const session: SessionRecord = {
      id,
      createdAt: Date.now(),
      customSessionId: props.customSessionId ?? '',
      mediaMode: props.mediaMode ?? 'ROUTED',
      recordingMode: props.recordingMode ?? 'MANUAL',
      defaultRecordingProperties: props.defaultRecordingProperties ?? {
        ...DEFAULT_RECORDING_PROPERTIES,
      },
      forcedVideoCodec: props.forcedVideoCodec ?? 'MEDIA_SERVER_PREFERRED',
      allowTranscoding: props.allowTranscoding ?? false,
      mediaNode: props.mediaNode,
      connections: new Map(),
      tokens: new Map(),
      everActive: false,
      closing: false,
      activeRecordingId: undefined,
      autostopTimer: undefined,
    };
    this.sessions.set(id, session);
    this.cfg.logger.info('session created', { sessionId: id });
    this.cfg.webhook('sessionCreated', cdrBase(session, session.createdAt));
    return session;
  }

  getSession(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  /** Evicts everyone (`reason`), stops the recording, forgets the session. */
  closeSession(session: SessionRecord, reason: EndReason): void {
    if (session.closing) return;
    session.closing = true;
    this.cfg.timers.clear(session.autostopTimer);
    session.autostopTimer = undefined;
    for (const c of activeConnections(session)) this.removeParticipant(session, c, reason);
    if (session.activeRecordingId !== undefined) {
      this.recordingHooks?.stopForSessionClose(session, reason);
    }
    this.destroySession(session, reason);
  }

  private destroySession(session: SessionRecord, reason: EndReason): void {
    session.closing = true;
    this.cfg.timers.clear(session.autostopTimer);
    session.autostopTimer = undefined;
    session.connections.clear();
    session.tokens.clear();
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    const now = Date.now();
    this.cfg.logger.info('session destroyed', { sessionId: session.id, reason });
    this.cfg.webhook('sessionDestroyed', {
      ...cdrBase(session, now),
      startTime: session.createdAt,
      duration: Math.round((now - session.createdAt) / 1000),
      reason,
    });
  }

  // ──────────────────────────── connections ───────────────────────────

  createConnection(session: SessionRecord, props: NewConnectionProps): ConnectionRecord {
    if (session.closing) throw new HttpError(404);
    const id = newConnectionId();
    const tokenId = newTokenId();
    const c: ConnectionRecord = {
      id,
      sessionId: session.id,
      createdAt: Date.now(),
      tokenId,
      token: `${this.cfg.wsUrl}?sessionId=${session.id}&token=${tokenId}`,
      type: 'WEBRTC',
      serverData: props.data ?? '',
      record: props.record ?? true,
      role: props.role ?? 'PUBLISHER',
      kurentoOptions: props.kurentoOptions ?? null,
      customIceServers:
        props.customIceServers && props.customIceServers.length > 0
          ? props.customIceServers
          : [...this.cfg.iceServers],
      status: 'pending',
      activeAt: null,
      ip: null,
      platform: null,
      clientData: null,
      location: null,
      transport: undefined,
      publisher: undefined,
      subscriptions: new Map(),
      earlyPublisherCandidates: [],
      endpoints: new Set(),
    };
    session.connections.set(id, c);
    session.tokens.set(tokenId, c);
    return c;
  }

  /** REST DELETE of a connection: evicts an active one, revokes a pending one. */
  deleteConnection(session: SessionRecord, c: ConnectionRecord): void {
    if (c.status === 'active') {
      this.removeParticipant(session, c, 'forceDisconnectByServer');
      this.afterDeparture(session);
    } else {
      session.connections.delete(c.id);
      session.tokens.delete(c.tokenId);
    }
  }

  // ────────────────────────────── joining ─────────────────────────────

  joinRoom(
    p: JoinParams,
    transport: ParticipantTransport,
  ): { result: object; connection: ConnectionRecord } {
    const session = this.sessions.get(p.session);
    if (!session) {
      throw new RpcError(RpcCode.ROOM_NOT_FOUND, `Session ${p.session} not found`);
    }
    if (session.closing) throw new RpcError(RpcCode.ROOM_CLOSED, `Session ${p.session} is closing`);
    const tokenId = tokenIdOf(p.token);
    const c = tokenId ? session.tokens.get(tokenId) : undefined;
    if (!c || c.status !== 'pending') {
      throw new RpcError(
        RpcCode.USER_UNAUTHORIZED,
        `Token ${tokenId ?? ''} is not valid for session ${session.id}`,
      );
    }
    const now = Date.now();
    c.status = 'active';
    c.activeAt = now;
    c.clientData = p.metadata;
    c.platform = p.platform || 'unknown';
    c.ip = p.ip;
    c.location = 'unknown';
    c.transport = transport;
    session.everActive = true;
    if (session.autostopTimer) {
      this.cfg.timers.clear(session.autostopTimer);
      session.autostopTimer = undefined;
    }

    const others = activeConnections(session).filter((o) => o !== c);
    const joined = { id: c.id, createdAt: now, metadata: fullMetadata(c) };
    for (const o of others) o.transport?.notify('participantJoined', joined);

    this.cfg.logger.info('participant joined', { sessionId: session.id, connectionId: c.id });
    this.cfg.webhook('participantJoined', participantCdr(session, c, now));

    const rec = c.role !== 'SUBSCRIBER' ? this.recordingHooks?.announced(session) : undefined;
    const result = {
      id: c.id,
      finalUserId: randomAlnum(16),
      createdAt: now,
      metadata: fullMetadata(c),
      value: others.map(participantRpcJson),
      session: session.id,
      version: SERVER_VERSION,
      mediaServer: 'kurento',
      videoSimulcast: false,
      record: c.record,
      role: c.role,
      customIceServers: c.customIceServers,
      ...(rec ? { recordingId: rec.id, recordingName: rec.name } : {}),
    };
    return { result, connection: c };
  }

  /** `leaveRoom`: the participant goes with reason `disconnect`. */
  leave(c: ConnectionRecord): void {
    const session = this.sessions.get(c.sessionId);
    if (!session) return;
    this.removeParticipant(session, c, 'disconnect');
    this.afterDeparture(session);
  }

  /** Eviction by a moderator, the REST API or the transport (`networkDisconnect`). */
  evict(c: ConnectionRecord, reason: EndReason): void {
    const session = this.sessions.get(c.sessionId);
    if (!session || session.connections.get(c.id) !== c) return;
    this.removeParticipant(session, c, reason);
    this.afterDeparture(session);
  }

  /**
   * Removes an active participant: media endpoints, subscriptions held by others, notifications,
   * webhooks. Does not decide whether the session closes (see {@link afterDeparture}).
   */
  private removeParticipant(session: SessionRecord, c: ConnectionRecord, reason: EndReason): void {
    if (session.connections.get(c.id) !== c || c.status !== 'active') return;
    const now = Date.now();
    if (c.publisher) this.streams.dropPublisher(session, c, reason);
    this.streams.releaseSubscriptionsOf(session, c, reason);
    session.connections.delete(c.id);
    session.tokens.delete(c.tokenId);

    const remaining = activeConnections(session);
    const left = { connectionId: c.id, reason };
    for (const o of remaining) o.transport?.notify('participantLeft', left);
    if (EVICTION_REASONS.has(reason)) {
      for (const o of remaining) o.transport?.notify('participantEvicted', left);
      c.transport?.notify('participantEvicted', left);
    }
    const transport = c.transport;
    c.transport = undefined;
    transport?.detach(reason === 'networkDisconnect' ? 0 : this.cfg.socketCloseDelayMs);

    this.cfg.logger.info('participant left', { sessionId: session.id, connectionId: c.id, reason });
    this.cfg.webhook('participantLeft', {
      ...participantCdr(session, c, now),
      startTime: c.activeAt,
      duration: Math.round((now - (c.activeAt ?? now)) / 1000),
      reason,
    });
  }

  /** Closes the session when its last participant has gone (after a recording's autostop window). */
  private afterDeparture(session: SessionRecord): void {
    if (session.closing || !session.everActive) return;
    if (activeConnections(session).length > 0) return;
    if (session.activeRecordingId !== undefined) {
      if (session.autostopTimer) return;
      session.autostopTimer = this.cfg.timers.set(() => {
        session.autostopTimer = undefined;
        this.closeSession(session, 'automaticStop');
      }, this.cfg.recordingAutostopMs);
      return;
    }
    this.destroySession(session, 'lastParticipantLeft');
  }

  // ───────────────────────────── signals ──────────────────────────────

  /** `sendMessage` from a participant (the `message` param, a JSON string). */
  sendMessageFromParticipant(c: ConnectionRecord, message: string): void {
    const session = this.requireSession(c);
    const { to, data, type } = parseParticipantSignal(message, this.cfg.maxSignalBytes);
    const recipients = resolveRecipients(session, to);
    if (!recipients)
      throw new RpcError(RpcCode.SIGNAL_TO_INVALID, "Signal 'to' has an unknown connection");
    this.deliverSignal(session, recipients, { data, type, from: c.id });
  }

  /** REST signal: throws HttpError 406 when nobody is connected or a recipient is unknown. */
  sendMessageFromServer(
    session: SessionRecord,
    to: string[],
    type: string | undefined,
    data: string | undefined,
  ): void {
    if (data !== undefined && Buffer.byteLength(data) > this.cfg.maxSignalBytes) {
      throw HttpError.badRequest('Signal data too large');
    }
    if (activeConnections(session).length === 0) throw new HttpError(406);
    const recipients = resolveRecipients(session, to);
    if (!recipients) throw new HttpError(406);
    this.deliverSignal(session, recipients, { data, type, from: undefined });
  }

  private deliverSignal(
    session: SessionRecord,
    recipients: ConnectionRecord[],
    m: { data: string | undefined; type: string | undefined; from: string | undefined },
  ): void {
    const params = {
      ...(m.data !== undefined ? { data: m.data } : {}),
      ...(m.type !== undefined ? { type: m.type } : {}),
      ...(m.from !== undefined ? { from: m.from } : {}),
    };
    for (const r of recipients) r.transport?.notify('sendMessage', params);
    const type =
      m.from !== undefined && m.type?.startsWith('signal:')
        ? m.type.slice('signal:'.length)
        : m.type;
    this.cfg.webhook('signalSent', {
      ...cdrBase(session, Date.now()),
      from: m.from ?? null,
      to: recipients.map((r) => r.id),
      type: type ?? null,
      data: m.data ?? null,
    });
  }

  // ──────────────────────────── moderation ────────────────────────────

  forceDisconnect(moderator: ConnectionRecord, targetId: string): void {
    const session = this.requireSession(moderator);
    if (moderator.role !== 'MODERATOR') {
      throw new RpcError(
        RpcCode.USER_UNAUTHORIZED,
        'Only MODERATOR connections can force a disconnection',
      );
    }
    const target = session.connections.get(targetId);
    if (!target || target.status !== 'active') {
      throw new RpcError(RpcCode.USER_NOT_FOUND, `Connection ${targetId} not found`);
    }
    this.removeParticipant(session, target, 'forceDisconnectByUser');
    this.afterDeparture(session);
  }

  forceUnpublish(moderator: ConnectionRecord, streamId: string): void {
    const session = this.requireSession(moderator);
    if (moderator.role !== 'MODERATOR') {
      throw new RpcError(
        RpcCode.USER_UNAUTHORIZED,
        'Only MODERATOR connections can force an unpublish',
      );
    }
    const owner = this.streams.findPublisher(session, streamId);
    this.streams.unpublish(owner, 'forceUnpublishByUser');
  }

  /** REST DELETE …/stream/{streamId}. */
  forceUnpublishByServer(session: SessionRecord, streamId: string): void {
    let owner: ConnectionRecord;
    try {
      owner = this.streams.findPublisher(session, streamId);
    } catch {
      throw new HttpError(404);
    }
    this.streams.unpublish(owner, 'forceUnpublishByServer');
  }

  // ───────────────────────────── helpers ──────────────────────────────

  private requireSession(c: ConnectionRecord): SessionRecord {
    const session = this.sessions.get(c.sessionId);
    if (!session || session.connections.get(c.id) !== c) {
      throw new RpcError(RpcCode.USER_NOT_FOUND, `Connection ${c.id} is no longer in a session`);
    }
    return session;
  }

  /** Counts for `stats()`. */
  counts(): { sessions: number; participants: number; pendingConnections: number } {
    let participants = 0;
    let pending = 0;
    for (const s of this.sessions.values()) {
      for (const c of s.connections.values()) {
        if (c.status === 'active') participants++;
        else pending++;
      }
    }
    return { sessions: this.sessions.size, participants, pendingConnections: pending };
  }
}
