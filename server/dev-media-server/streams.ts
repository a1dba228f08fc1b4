/**
 * Streams of a session: publishing (and republishing on reconnectStream), subscribing, trickle ICE
 * in both directions and stream property changes, with the media-router calls, notifications and
 * `webrtcConnection*` webhooks each implies. {@link SessionManager} owns sessions and participants
 * and hands this the per-connection stream work.
 */
import { webrtcCdr } from './cdr.js';
import type { CoreConfig, EndReason, RecordingHooks } from './core.js';
import { RpcCode, RpcError } from './errors.js';
import { filterFromParam } from './filters.js';
import { connectionIdOfStream, newStreamId } from './ids.js';
import type { IceCandidate } from './media/types.js';
import { activeConnections, streamRpcJson, subscriberEndpointId } from './model.js';
import type { ConnectionRecord, PublisherRecord, SessionRecord } from './model.js';
import type { TimerRegistry } from './timers.js';
import { errorMessage } from '../shared/errors.js';

export interface StreamDeps {
  cfg: CoreConfig;
  /** The session `c` is in; throws an RpcError when it left. */
  requireSession(c: ConnectionRecord): SessionRecord;
  recordingHooks(): RecordingHooks | undefined;
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

export class StreamManager {
  private readonly cfg: CoreConfig;

  constructor(private readonly deps: StreamDeps) {
    this.cfg = deps.cfg;
  }

  // ───────────────────────────── publishing ───────────────────────────

  async publish(c: ConnectionRecord, params: Record<string, unknown>): Promise<object> {
    const session = this.deps.requireSession(c);
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
      throw new RpcError(RpcCode.MEDIA_SDP, `Error generating SDP answer: ${errorMessage(err)}`);
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
    this.deps.recordingHooks()?.onStreamPublished(session, c);
    return { sdpAnswer, id: streamId, createdAt: pub.createdAt };
  }

  /** Own `unpublishVideo` (reason `unpublish`) or a forced one (owner notified too). */
  unpublish(c: ConnectionRecord, reason: EndReason): void {
    const session = this.deps.requireSession(c);
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
  dropPublisher(session: SessionRecord, c: ConnectionRecord, reason: EndReason): void {
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
    this.deps.recordingHooks()?.onStreamUnpublished(session, pub.streamId);
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
      throw new RpcError(RpcCode.MEDIA_SDP, `Error reconnecting publisher: ${errorMessage(err)}`);
    }
    return { sdpAnswer, id: pub.streamId, createdAt: pub.createdAt };
  }

  // ──────────────────────────── subscribing ───────────────────────────

  findPublisher(session: SessionRecord, streamId: string): ConnectionRecord {
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
    const session = this.deps.requireSession(c);
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
      throw new RpcError(
        RpcCode.MEDIA_SDP,
        `Error subscribing to ${streamId}: ${errorMessage(err)}`,
      );
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
    const session = this.deps.requireSession(c);
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
    const session = this.deps.requireSession(c);
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

  // ──────────────────────── stream properties ─────────────────────────

  streamPropertyChanged(c: ConnectionRecord, params: Record<string, unknown>): void {
    const session = this.deps.requireSession(c);
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

  // ───────────────────────────── helpers ──────────────────────────────

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

  /** Releases every subscription `c` holds and every endpoint it still owns (it is leaving). */
  releaseSubscriptionsOf(session: SessionRecord, c: ConnectionRecord, reason: EndReason): void {
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
  }
}
