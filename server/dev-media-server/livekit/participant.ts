/**
 * One LiveKit participant: its identity and permissions (from the token), its signal connection,
 * its publisher and subscriber transports, the tracks it announced (AddTrackRequest) and published
 * (media arrived), and its down tracks. It handles its own signal requests; what concerns others
 * (updates, subscriptions, data) it hands to its {@link ParticipantHost}, the room.
 */
import {
  DataPacket,
  ParticipantInfo,
  ParticipantInfo_State,
  ParticipantPermission,
  RequestResponse,
  RequestResponse_Reason,
  SessionDescription,
  SignalTarget,
  TrackInfo,
  TrackType,
} from '@livekit/protocol';
import type { AddTrackRequest, DisconnectReason } from '@livekit/protocol';
import type { MediaStreamTrack, PeerConfig, RTCRtpReceiver, RTCRtpTransceiver } from 'werift';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../logger.js';
import type { JoinGrant } from './auth.js';
import { newSid } from './ids.js';
import type { SignalConnection, SignalMessage, SignalRequestMessage } from './signal-connection.js';
import { DownTrack, PublishedTrack } from './tracks.js';
import type { MediaKind } from './tracks.js';
import { PublisherTransport, SubscriberTransport, parseMediaSections } from './transports.js';

/** What a participant needs from its room. */
export interface ParticipantHost {
  readonly logger: Logger;
  readonly baseConfig: Partial<PeerConfig>;
  /** The participant's info changed (metadata, mute, tracks): tell everyone. */
  participantChanged(participant: Participant): void;
  trackPublished(participant: Participant, track: PublishedTrack): void;
  trackUnpublished(participant: Participant, track: PublishedTrack): void;
  dataReceived(participant: Participant, label: string, packet: DataPacket): void;
  /** The client asked to (un)subscribe from a track. */
  setSubscribed(participant: Participant, trackSid: string, subscribed: boolean): void;
  /** The client sent LeaveRequest. */
  left(participant: Participant): void;
  /** The signal socket dropped without a LeaveRequest. */
  signalLost(participant: Participant): void;
  packetForwarded(): void;
}

const MIME: Record<MediaKind, string> = { audio: 'audio/opus', video: 'video/VP8' };

export class Participant {
  readonly sid = newSid('PA');
  readonly identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  permission: ParticipantPermission;
  state = ParticipantInfo_State.JOINING;
  disconnectReason: DisconnectReason | undefined;
  readonly joinedAtMs = Date.now();
  version = 1;
  readonly autoSubscribe: boolean;
  /** Published tracks whose media arrived, by track sid. */
  readonly tracks = new Map<string, PublishedTrack>();
  /** Tracks announced by AddTrackRequest, by client id, until their m-section is known. */
  private readonly announced = new Map<string, TrackInfo>();
  /** Announced tracks bound to a publisher m-section, by mid. */
  private readonly byMid = new Map<string, TrackInfo>();
  /** Subscriptions, by published track sid. */
  readonly downTracks = new Map<string, DownTrack>();
  signal: SignalConnection | undefined;
  /** When its signal socket dropped (undefined while connected). */
  signalLostAtMs: number | undefined;
  publisher: PublisherTransport | undefined;
  subscriber: SubscriberTransport | undefined;
  private closed = false;

  constructor(
    grant: JoinGrant,
    autoSubscribe: boolean,
    private readonly host: ParticipantHost,
  ) {
    this.identity = grant.identity;
    this.name = grant.name;
    this.metadata = grant.metadata;
    this.attributes = { ...grant.attributes };
    this.autoSubscribe = autoSubscribe;
    this.permission = new ParticipantPermission({
      canPublish: grant.canPublish,
      canSubscribe: grant.canSubscribe,
      canPublishData: grant.canPublishData,
      canUpdateMetadata: grant.canUpdateOwnMetadata,
      hidden: grant.hidden,
      recorder: grant.recorder,
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  info(): ParticipantInfo {
    return new ParticipantInfo({
      sid: this.sid,
      identity: this.identity,
      name: this.name,
      metadata: this.metadata,
      attributes: { ...this.attributes },
      state: this.state,
      tracks: [...this.tracks.values()].map((t) => t.info.clone()),
      joinedAt: BigInt(Math.floor(this.joinedAtMs / 1000)),
      joinedAtMs: BigInt(this.joinedAtMs),
      version: this.version,
      permission: this.permission.clone(),
      isPublisher: this.tracks.size > 0,
      ...(this.disconnectReason !== undefined ? { disconnectReason: this.disconnectReason } : {}),
    });
  }

  /** Bumps the version and tells the room (and through it everyone). */
  changed(): void {
    this.version++;
    this.host.participantChanged(this);
  }

  send(message: SignalMessage): void {
    this.signal?.send(message);
  }

  /** Creates the subscriber transport and sends its first offer (with the data channels). */
  startSubscriber(): SubscriberTransport {
    this.subscriber ??= new SubscriberTransport(
      {
        baseConfig: this.host.baseConfig,
        logger: this.host.logger,
        onCandidate: (candidateInit) =>
          this.send({ case: 'trickle', value: { candidateInit, target: SignalTarget.SUBSCRIBER } }),
      },
      (sdp, id) =>
        this.send({ case: 'offer', value: new SessionDescription({ type: 'offer', sdp, id }) }),
    );
    // A new down track starts with the picture it held (tracks.ts); one already forwarding after a
    // reconnection asks for a fresh key frame.
    this.subscriber.onAnswered(() => {
      for (const down of this.downTracks.values()) down.start();
    });
    this.subscriber.onConnected(() => {
      for (const down of this.downTracks.values())
        if (down.isForwarding) down.published.keyframes.request();
        else down.start();
    });
    this.subscriber.negotiate();
    return this.subscriber;
  }

  /** Adds `track` of `publisher` to this participant's subscriber PC (renegotiated in the same tick). */
  subscribe(publisher: Participant, track: PublishedTrack): void {
    if (this.closed || this.downTracks.has(track.sid) || !this.permission.canSubscribe) return;
    const subscriber = this.subscriber ?? this.startSubscriber();
    const slot = subscriber.addTrack(track.kind, publisher.sid, track.sid);
    // An ended subscription leaves its m-section idle rather than inactive: werift rejects inactive
    // m-sections (port 0) inside the BUNDLE group, which browsers refuse when it is the group's tag.
    // The client learns of the end from the ParticipantUpdate.
    const down = new DownTrack(
      track,
      slot.track,
      slot.sender,
      slot.receiver,
      this.host.logger,
      () => subscriber.isNegotiated(slot.transceiver),
      (d) => {
        if (this.downTracks.get(track.sid) === d) this.downTracks.delete(track.sid);
      },
    );
    this.downTracks.set(track.sid, down);
    subscriber.negotiate();
  }

  unsubscribe(trackSid: string): void {
    this.downTracks.get(trackSid)?.close();
  }

  handle(message: SignalRequestMessage): void {
    switch (message.case) {
      case 'offer':
        void this.answerPublisher(message.value);
        return;
      case 'answer':
        this.subscriber
          ?.handleAnswer(message.value.sdp, message.value.id)
          .catch((error: unknown) =>
            this.host.logger.warn('subscriber answer rejected', { error: errorMessage(error) }),
          );
        return;
      case 'trickle': {
        const transport =
          message.value.target === SignalTarget.SUBSCRIBER ? this.subscriber : this.publisher;
        transport?.addCandidate(message.value.candidateInit);
        return;
      }
      case 'addTrack':
        this.addTrack(message.value);
        return;
      case 'mute':
        this.setMuted(message.value.sid, message.value.muted);
        return;
      case 'subscription':
        for (const sid of message.value.trackSids)
          this.host.setSubscribed(this, sid, message.value.subscribe);
        for (const pt of message.value.participantTracks)
          for (const sid of pt.trackSids)
            this.host.setSubscribed(this, sid, message.value.subscribe);
        return;
      case 'updateMetadata':
        this.updateOwnMetadata(message.value);
        return;
      case 'leave':
        this.host.left(this);
        return;
      default:
        // trackSetting, updateLayers, subscriptionPermission, syncState, simulate…: accepted, no effect.
        return;
    }
  }

  /** Sets a track's muted flag (client MuteTrackRequest or RoomService); undefined when unknown. */
  setMuted(trackSid: string, muted: boolean): TrackInfo | undefined {
    const info =
      this.tracks.get(trackSid)?.info ??
      [...this.announced.values(), ...this.byMid.values()].find((t) => t.sid === trackSid);
    if (!info) return undefined;
    if (info.muted !== muted) {
      info.muted = muted;
      if (this.tracks.has(trackSid)) this.changed();
    }
    return info;
  }

  /** Closes the transports and tracks; the room has already told the others. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const down of [...this.downTracks.values()]) down.close();
    for (const track of this.tracks.values()) track.close();
    this.publisher?.close();
    this.subscriber?.close();
  }

  private addTrack(req: AddTrackRequest): void {
    const kind: MediaKind | undefined =
      req.type === TrackType.AUDIO ? 'audio' : req.type === TrackType.VIDEO ? 'video' : undefined;
    if (!this.permission.canPublish || !kind || this.announced.has(req.cid)) {
      this.send({
        case: 'requestResponse',
        value: new RequestResponse({
          reason: RequestResponse_Reason.NOT_ALLOWED,
          message: this.permission.canPublish
            ? 'unsupported or duplicate track'
            : 'not allowed to publish',
          request: { case: 'addTrack', value: req },
        }),
      });
      return;
    }
    const info = new TrackInfo({
      sid: newSid('TR'),
      type: req.type,
      name: req.name,
      source: req.source,
      muted: req.muted,
      width: req.width,
      height: req.height,
      simulcast: req.layers.length > 1,
      layers: req.layers,
      disableDtx: req.disableDtx,
      stereo: req.stereo,
      stream: req.stream,
      mimeType: MIME[kind],
    });
    this.announced.set(req.cid, info);
    this.send({ case: 'trackPublished', value: { cid: req.cid, track: info } });
  }

  private async answerPublisher(offer: SessionDescription): Promise<void> {
    if (this.closed) return;
    this.publisher ??= new PublisherTransport(
      {
        baseConfig: this.host.baseConfig,
        logger: this.host.logger,
        onCandidate: (candidateInit) =>
          this.send({ case: 'trickle', value: { candidateInit, target: SignalTarget.PUBLISHER } }),
      },
      {
        onTrack: (track, receiver, transceiver) => this.onTrack(track, receiver, transceiver),
        onData: (label, data) => this.onData(label, data),
      },
    );
    this.bindSections(offer.sdp);
    try {
      const sdp = await this.publisher.answer(offer.sdp);
      this.send({
        case: 'answer',
        value: new SessionDescription({ type: 'answer', sdp, id: offer.id }),
      });
    } catch (error) {
      this.host.logger.warn('publisher offer failed', {
        participant: this.sid,
        error: errorMessage(error),
      });
    }
  }

  /** Binds announced tracks to the offer's m-sections (msid track id = cid) and unpublishes stopped ones. */
  private bindSections(sdp: string): void {
    for (const section of parseMediaSections(sdp)) {
      if (section.kind !== 'audio' && section.kind !== 'video') continue;
      const sending = section.direction === 'sendonly' || section.direction === 'sendrecv';
      const bound = this.byMid.get(section.mid);
      if (bound) {
        const published = this.tracks.get(bound.sid);
        if (!sending && published) this.unpublish(published);
        continue;
      }
      if (!sending) continue;
      let cid =
        section.trackId !== undefined && this.announced.has(section.trackId)
          ? section.trackId
          : undefined;
      const type = section.kind === 'audio' ? TrackType.AUDIO : TrackType.VIDEO;
      cid ??= [...this.announced.entries()].find(([, info]) => info.type === type)?.[0];
      const info = cid === undefined ? undefined : this.announced.get(cid);
      if (!info || cid === undefined) continue;
      this.announced.delete(cid);
      info.mid = section.mid;
      this.byMid.set(section.mid, info);
    }
  }

  private onTrack(
    track: MediaStreamTrack,
    receiver: RTCRtpReceiver,
    transceiver: RTCRtpTransceiver,
  ): void {
    const info = transceiver.mid ? this.byMid.get(transceiver.mid) : undefined;
    if (!info || this.closed) {
      this.host.logger.debug('track without an announced publication ignored', {
        participant: this.sid,
      });
      return;
    }
    let published = this.tracks.get(info.sid);
    if (!published) {
      const kind: MediaKind = info.type === TrackType.AUDIO ? 'audio' : 'video';
      published = new PublishedTrack(info, kind, transceiver, this.host.logger, () =>
        this.host.packetForwarded(),
      );
      published.attach(track, receiver);
      this.tracks.set(info.sid, published);
      this.host.trackPublished(this, published);
    } else {
      published.attach(track, receiver);
    }
  }

  private unpublish(track: PublishedTrack): void {
    this.tracks.delete(track.sid);
    if (track.info.mid) this.byMid.delete(track.info.mid);
    track.close();
    this.host.trackUnpublished(this, track);
  }

  private onData(label: string, data: Buffer): void {
    if (!this.permission.canPublishData) return;
    let packet: DataPacket;
    try {
      packet = DataPacket.fromBinary(new Uint8Array(data));
    } catch (error) {
      this.host.logger.debug('undecodable data packet dropped', { error: errorMessage(error) });
      return;
    }
    this.host.dataReceived(this, label, packet);
  }

  private updateOwnMetadata(req: {
    metadata: string;
    name: string;
    attributes: Record<string, string>;
    requestId: number;
  }): void {
    if (!this.permission.canUpdateMetadata) {
      this.send({
        case: 'requestResponse',
        value: new RequestResponse({
          requestId: req.requestId,
          reason: RequestResponse_Reason.NOT_ALLOWED,
          message: 'does not have permission to update own metadata',
        }),
      });
      return;
    }
    if (req.metadata !== '') this.metadata = req.metadata;
    if (req.name !== '') this.name = req.name;
    for (const [key, value] of Object.entries(req.attributes)) {
      if (value === '') delete this.attributes[key];
      else this.attributes[key] = value;
    }
    this.send({
      case: 'requestResponse',
      value: new RequestResponse({ requestId: req.requestId, reason: RequestResponse_Reason.OK }),
    });
    this.changed();
  }
}
