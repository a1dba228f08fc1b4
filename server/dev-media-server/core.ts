/**
 * The session manager: every state change of sessions, connections and streams, with the notifications,
 * webhooks and media-router calls each one implies. REST (rest.ts) and JSON-RPC (rpc.ts) are thin
 * adapters over it; recording orchestration (recording.ts) plugs in through {@link RecordingHooks}.
 */
import { cdrBase, participantCdr, webrtcCdr } from './cdr.js';
import { HttpError, RpcCode, RpcError } from './errors.js';
import { StreamFilters, filterFromParam } from './filters.js';
import {
  connectionIdOfStream,
  newConnectionId,
  newSessionId,
  newStreamId,
  newTokenId,
  randomAlnum,
} from './ids.js';
import type { Logger } from './logger.js';
import type { IceCandidate, MediaRouter } from './media/types.js';
import {
  DEFAULT_RECORDING_PROPERTIES,
  activeConnections,
  fullMetadata,
  participantRpcJson,
  streamRpcJson,
  subscriberEndpointId,
} from './model.js';
import type {
  ConnectionRecord,
  IceServerJson,
  KurentoOptions,
  ParticipantTransport,
  PublisherRecord,
  RecordingProperties,
  Role,
  SessionRecord,
} from './model.js';
import { parseParticipantSignal, resolveRecipients } from './signals.js';
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

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  timers: TimerRegistry,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = timers.set(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        timers.clear(t);
        resolve(v);
      },
      (e: unknown) => {
        timers.clear(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
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
    findPublisher: (session, streamId) => this.findPublisher(session, streamId),
  });

  constructor(private readonly cfg: CoreConfig) {}

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
    if (c.publisher) this.dropPublisher(session, c, reason);
    for (const [pubId, sub] of c.subscriptions) {
      this.cfg.router.release(sub.endpointId);
      const pub = session.connections.get(pubId);
      if (pub?.publisher)
        this.webrtcDestroyed(session, c, pub, pub.publisher, 'INBOUND', reason, sub.createdAt);
    }
    c.subscriptions.clear();
    for (const ep of c.endpoints) this.cfg.router.release(ep);
    c.endpoints.clear();
    c.earlyPublisherCandidates.length = 0;
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

  // ───────────────────────────── publishing ───────────────────────────

  async publish(c: ConnectionRecord, params: Record<string, unknown>): Promise<object> {
    const session = this.requireSession(c);
    if (c.role === 'SUBSCRIBER') {
      throw new RpcError(
        RpcCode.USER_UNAUTHORIZED,
        'Unable to publish video. The user does not have a valid token',
      );
    }
    if (c.publisher) {
      throw new RpcError(
        RpcCode.USER_ALREADY_STREAMING,
        `Connection ${c.id} is already publishing`,
      );
    }
    const sdpOffer = str(params['sdpOffer']);
    if (!sdpOffer) throw RpcError.missingParam('sdpOffer', 'publishVideo');
    const hasAudio = params['hasAudio'] !== false;
    const hasVideo = params['hasVideo'] !== false;
    const typeOfVideo = hasVideo ? (str(params['typeOfVideo']) ?? 'CAMERA') : undefined;
    const streamId = newStreamId(c.id, typeOfVideo, hasVideo);
    const pub: PublisherRecord = {
      streamId,
      createdAt: Date.now(),
      hasAudio,
      hasVideo,
      audioActive: params['audioActive'] !== false,
      videoActive: params['videoActive'] !== false,
      typeOfVideo,
      frameRate: typeof params['frameRate'] === 'number' ? params['frameRate'] : -1,
      videoDimensions: str(params['videoDimensions']) ?? null,
      filter: filterFromParam(params['filter']),
      ready: false,
    };
    c.publisher = pub;
    c.endpoints.add(streamId);
    const answer = this.cfg.router.publish({
      streamId,
      sdpOffer,
      hasAudio,
      hasVideo,
      onLocalCandidate: (cand) => this.sendCandidate(c, c.id, streamId, cand),
    });
    for (const cand of c.earlyPublisherCandidates.splice(0)) {
      this.cfg.router.addIceCandidate(streamId, cand);
    }
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await withTimeout(
        answer,
        this.cfg.routerTimeoutMs,
        this.cfg.timers,
        'publish',
      ));
    } catch (err) {
      if (c.publisher === pub) c.publisher = undefined;
      c.endpoints.delete(streamId);
      this.cfg.router.release(streamId);
      throw new RpcError(RpcCode.MEDIA_SDP, `Error generating SDP answer: ${errMessage(err)}`);
    }
    if (c.publisher !== pub || session.connections.get(c.id) !== c) {
      // The participant left or unpublished while the router negotiated.
      this.cfg.router.release(streamId);
      throw new RpcError(RpcCode.USER_NOT_STREAMING, `Connection ${c.id} stopped publishing`);
    }
    pub.ready = true;
    const notification = { id: c.id, streams: [streamRpcJson(pub)] };
    for (const o of activeConnections(session)) {
      if (o !== c) o.transport?.notify('participantPublished', notification);
    }
    this.cfg.logger.info('stream published', { sessionId: session.id, streamId });
    this.cfg.webhook('webrtcConnectionCreated', webrtcCdr(session, c, c, pub, 'OUTBOUND'));
    this.recordingHooks?.onStreamPublished(session, c);
    return { sdpAnswer, id: streamId, createdAt: pub.createdAt };
  }

  /** Own `unpublishVideo` (reason `unpublish`) or a forced one (owner notified too). */
  unpublish(c: ConnectionRecord, reason: EndReason): void {
    const session = this.requireSession(c);
    if (!c.publisher) {
      throw new RpcError(RpcCode.USER_NOT_STREAMING, `Connection ${c.id} is not publishing`);
    }
    const wasReady = c.publisher.ready;
    this.dropPublisher(session, c, reason);
    if (!wasReady) return;
    const forced = reason === 'forceUnpublishByUser' || reason === 'forceUnpublishByServer';
    const note = { connectionId: c.id, reason };
    for (const o of activeConnections(session)) {
      if (o !== c || forced) o.transport?.notify('participantUnpublished', note);
    }
  }

  /** Releases a publisher and every subscription to it, with their webhooks. */
  private dropPublisher(session: SessionRecord, c: ConnectionRecord, reason: EndReason): void {
    const pub = c.publisher;
    if (!pub) return;
    c.publisher = undefined;
    c.endpoints.delete(pub.streamId);
    this.cfg.router.release(pub.streamId);
    if (!pub.ready) return;
    for (const o of session.connections.values()) {
      const sub = o.subscriptions.get(c.id);
      if (!sub) continue;
      o.subscriptions.delete(c.id);
      o.endpoints.delete(sub.endpointId);
      this.cfg.router.release(sub.endpointId);
      this.webrtcDestroyed(session, o, c, pub, 'INBOUND', reason, sub.createdAt);
    }
    this.webrtcDestroyed(session, c, c, pub, 'OUTBOUND', reason, pub.createdAt);
    this.recordingHooks?.onStreamUnpublished(session, pub.streamId);
  }

  async reconnectPublisher(c: ConnectionRecord, sdpOffer: string): Promise<object> {
    const pub = c.publisher;
    if (!pub?.ready) {
      throw new RpcError(RpcCode.USER_NOT_STREAMING, `Connection ${c.id} is not publishing`);
    }
    let sdpAnswer: string;
    try {
      ({ sdpAnswer } = await withTimeout(
        this.cfg.router.republish({
          streamId: pub.streamId,
          sdpOffer,
          hasAudio: pub.hasAudio,
          hasVideo: pub.hasVideo,
          onLocalCandidate: (cand) => this.sendCandidate(c, c.id, pub.streamId, cand),
        }),
        this.cfg.routerTimeoutMs,
        this.cfg.timers,
        'republish',
      ));
    } catch (err) {
      throw new RpcError(RpcCode.MEDIA_SDP, `Error reconnecting publisher: ${errMessage(err)}`);
    }
    return { sdpAnswer, id: pub.streamId, createdAt: pub.createdAt };
  }

  // ──────────────────────────── subscribing ───────────────────────────

  private findPublisher(session: SessionRecord, streamId: string): ConnectionRecord {
    const ownerId = connectionIdOfStream(streamId);
    const owner = ownerId ? session.connections.get(ownerId) : undefined;
    if (!owner || owner.status !== 'active') {
      throw new RpcError(RpcCode.USER_NOT_FOUND, `Sender of stream ${streamId} not found`);
    }
    if (!owner.publisher?.ready || owner.publisher.streamId !== streamId) {
      throw new RpcError(RpcCode.USER_NOT_STREAMING, `Stream ${streamId} is not being published`);
    }
    return owner;
  }

  async subscribe(
    c: ConnectionRecord,
    streamId: string,
    sdpOffer: string,
    reconnect: boolean,
  ): Promise<object> {
    const session = this.requireSession(c);
    const owner = this.findPublisher(session, streamId);
    const pub = owner.publisher as PublisherRecord;
    const endpointId = subscriberEndpointId(c.id, owner.id);
    const existing = c.subscriptions.get(owner.id);
    const req = {
      endpointId,
      streamId,
      sdpOffer,
      onLocalCandidate: (cand: IceCandidate) => this.sendCandidate(c, owner.id, endpointId, cand),
    };
    c.endpoints.add(endpointId);
    let sdpAnswer: string;
    try {
      const call =
        reconnect && existing ? this.cfg.router.resubscribe(req) : this.cfg.router.subscribe(req);
      ({ sdpAnswer } = await withTimeout(
        call,
        this.cfg.routerTimeoutMs,
        this.cfg.timers,
        'subscribe',
      ));
    } catch (err) {
      if (!c.subscriptions.has(owner.id)) {
        c.endpoints.delete(endpointId);
        this.cfg.router.release(endpointId);
      }
      throw new RpcError(RpcCode.MEDIA_SDP, `Error subscribing to ${streamId}: ${errMessage(err)}`);
    }
    if (
      session.connections.get(c.id) !== c ||
      session.connections.get(owner.id) !== owner ||
      owner.publisher !== pub
    ) {
      c.endpoints.delete(endpointId);
      this.cfg.router.release(endpointId);
      throw new RpcError(RpcCode.USER_NOT_STREAMING, `Stream ${streamId} is gone`);
    }
    if (!existing) {
      c.subscriptions.set(owner.id, { streamId, createdAt: Date.now(), endpointId });
      this.cfg.webhook('webrtcConnectionCreated', webrtcCdr(session, c, owner, pub, 'INBOUND'));
    }
    return { sdpAnswer };
  }

  unsubscribe(c: ConnectionRecord, senderConnectionId: string): void {
    const session = this.requireSession(c);
    const sub = c.subscriptions.get(senderConnectionId);
    const owner = session.connections.get(senderConnectionId);
    if (!sub) {
      if (!owner) {
        throw new RpcError(RpcCode.USER_NOT_FOUND, `Connection ${senderConnectionId} not found`);
      }
      // Nothing recorded (e.g. a subscription that failed): just make sure the endpoint is gone.
      const ep = subscriberEndpointId(c.id, senderConnectionId);
      c.endpoints.delete(ep);
      this.cfg.router.release(ep);
      return;
    }
    c.subscriptions.delete(senderConnectionId);
    c.endpoints.delete(sub.endpointId);
    this.cfg.router.release(sub.endpointId);
    if (owner?.publisher) {
      this.webrtcDestroyed(
        session,
        c,
        owner,
        owner.publisher,
        'INBOUND',
        'unsubscribe',
        sub.createdAt,
      );
    }
  }

  // ─────────────────────────────── ICE ────────────────────────────────

  addIceCandidate(c: ConnectionRecord, endpointName: string, cand: IceCandidate): void {
    const session = this.requireSession(c);
    if (!cand.candidate) return; // end-of-candidates
    if (endpointName === c.id) {
      if (c.publisher) this.cfg.router.addIceCandidate(c.publisher.streamId, cand);
      else if (c.earlyPublisherCandidates.length < 64) c.earlyPublisherCandidates.push(cand);
      return;
    }
    const owner = session.connections.get(endpointName);
    if (!owner || owner.status !== 'active') {
      throw new RpcError(RpcCode.USER_NOT_FOUND, `Connection ${endpointName} not found`);
    }
    const ep = subscriberEndpointId(c.id, owner.id);
    c.endpoints.add(ep);
    this.cfg.router.addIceCandidate(ep, cand);
  }

  private sendCandidate(
    c: ConnectionRecord,
    senderConnectionId: string,
    endpointName: string,
    cand: IceCandidate,
  ): void {
    c.transport?.notify('iceCandidate', {
      senderConnectionId,
      endpointName,
      sdpMLineIndex: cand.sdpMLineIndex,
      sdpMid: cand.sdpMid,
      candidate: cand.candidate,
    });
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

  // ──────────────────────── stream properties ─────────────────────────

  streamPropertyChanged(c: ConnectionRecord, params: Record<string, unknown>): void {
    const session = this.requireSession(c);
    const property = str(params['property']);
    if (!property) throw RpcError.missingParam('property', 'streamPropertyChanged');
    if (!('newValue' in params)) throw RpcError.missingParam('newValue', 'streamPropertyChanged');
    const pub = c.publisher;
    if (!pub?.ready) {
      throw new RpcError(RpcCode.USER_NOT_STREAMING, `Connection ${c.id} is not publishing`);
    }
    const newValue = params['newValue'];
    if (property === 'audioActive' && typeof newValue === 'boolean') pub.audioActive = newValue;
    if (property === 'videoActive' && typeof newValue === 'boolean') pub.videoActive = newValue;
    if (property === 'videoDimensions' && typeof newValue === 'string')
      pub.videoDimensions = newValue;
    const note = {
      connectionId: c.id,
      streamId: pub.streamId,
      property,
      newValue: JSON.stringify(newValue ?? null),
      reason: str(params['reason']) ?? '',
    };
    for (const o of activeConnections(session))
      if (o !== c) o.transport?.notify('streamPropertyChanged', note);
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
    const owner = this.findPublisher(session, streamId);
    this.unpublish(owner, 'forceUnpublishByUser');
  }

  /** REST DELETE …/stream/{streamId}. */
  forceUnpublishByServer(session: SessionRecord, streamId: string): void {
    let owner: ConnectionRecord;
    try {
      owner = this.findPublisher(session, streamId);
    } catch {
      throw new HttpError(404);
    }
    this.unpublish(owner, 'forceUnpublishByServer');
  }

  // ───────────────────────────── helpers ──────────────────────────────

  private requireSession(c: ConnectionRecord): SessionRecord {
    const session = this.sessions.get(c.sessionId);
    if (!session || session.connections.get(c.id) !== c) {
      throw new RpcError(RpcCode.USER_NOT_FOUND, `Connection ${c.id} is no longer in a session`);
    }
    return session;
  }

  private webrtcDestroyed(
    session: SessionRecord,
    c: ConnectionRecord,
    owner: ConnectionRecord,
    pub: PublisherRecord,
    direction: 'OUTBOUND' | 'INBOUND',
    reason: EndReason,
    startTime: number,
  ): void {
    const now = Date.now();
    this.cfg.webhook('webrtcConnectionDestroyed', {
      ...webrtcCdr(session, c, owner, pub, direction),
      timestamp: now,
      startTime,
      duration: Math.round((now - startTime) / 1000),
      reason,
    });
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

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
