/**
 * One LiveKit room: its participants, who sees what (ParticipantUpdate to the others, auto-subscribe
 * of every published track), the data relay between them, removal and departure, and the room's
 * view for the recorder (one recordable stream per participant: its microphone and camera).
 */
import {
  Codec,
  DataPacket_Kind,
  DisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo_State,
  ReconnectResponse,
  Room as RoomInfo,
  ServerInfo,
  ServerInfo_Edition,
  TrackSource,
} from '@livekit/protocol';
import type { ParticipantInfo, DataPacket, ICEServer } from '@livekit/protocol';
import type { MediaStreamTrack, PeerConfig } from 'werift';
import type { RecordableStream, StreamRegistry } from '../media/recorder.js';
import type { Logger } from '../logger.js';
import type { LiveKitEvents } from './contract.js';
import { newSid } from './ids.js';
import type { Participant } from './participant.js';
import type { ParticipantHost } from './participant.js';
import type { PublishedTrack } from './tracks.js';
import { LOSSY_LABEL, RELIABLE_LABEL } from './transports.js';

export const SERVER_VERSION = '1.9.0';
/** livekit-client pings every interval and gives up after the timeout (seconds). */
export const PING_INTERVAL_S = 5;
export const PING_TIMEOUT_S = 15;

export interface RoomDeps {
  logger: Logger;
  baseConfig: Partial<PeerConfig>;
  events: LiveKitEvents | undefined;
  iceServers: ICEServer[];
  /** How long a participant whose socket dropped is kept (ms). */
  reconnectWindowMs: number;
  /** Called when the room closes (it removes itself from the registry). */
  onClosed(room: Room): void;
  onForward(): void;
}

export interface RoomSettings {
  name: string;
  emptyTimeoutSec: number;
  departureTimeoutSec: number;
  maxParticipants: number;
  metadata: string;
}

type RegistryListener = (streamId: string, change: 'published' | 'released') => void;

export class Room implements ParticipantHost {
  readonly sid = newSid('RM');
  readonly createdAtMs = Date.now();
  readonly participants = new Map<string, Participant>();
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly lostTimers = new Map<Participant, ReturnType<typeof setTimeout>>();
  private readonly registryListeners = new Set<RegistryListener>();
  private readonly generations = new Map<string, number>();
  /** Who left within the last reconnect window (replayed to a resuming participant). */
  private departed: { info: ParticipantInfo; atMs: number }[] = [];
  /** Recordings running (they get participants' streams as they come and go). */
  readonly recordings = new Set<{ addStream(id: string): void; removeStream(id: string): void }>();
  recorders = 0;
  private closed = false;

  constructor(
    readonly settings: RoomSettings,
    private readonly deps: RoomDeps,
  ) {
    deps.events?.emit({ event: 'room_started', room: this.info() });
    this.armCloseTimer(settings.emptyTimeoutSec);
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  get baseConfig(): Partial<PeerConfig> {
    return this.deps.baseConfig;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  info(): RoomInfo {
    const visible = [...this.participants.values()].filter((p) => !p.permission.hidden);
    return new RoomInfo({
      sid: this.sid,
      name: this.settings.name,
      emptyTimeout: this.settings.emptyTimeoutSec,
      departureTimeout: this.settings.departureTimeoutSec,
      maxParticipants: this.settings.maxParticipants,
      creationTime: BigInt(Math.floor(this.createdAtMs / 1000)),
      creationTimeMs: BigInt(this.createdAtMs),
      metadata: this.settings.metadata,
      numParticipants: visible.length,
      numPublishers: visible.filter((p) => p.tracks.size > 0).length,
      activeRecording: this.recordings.size > 0,
      enabledCodecs: [new Codec({ mime: 'video/VP8' }), new Codec({ mime: 'audio/opus' })],
    });
  }

  /** Whether one more participant fits (a returning identity always does). */
  hasRoomFor(identity: string): boolean {
    const max = this.settings.maxParticipants;
    return max <= 0 || this.participants.has(identity) || this.participants.size < max;
  }

  /** Adds `participant` (replacing one with the same identity) and sends it the JoinResponse. */
  admit(participant: Participant): void {
    const previous = this.participants.get(participant.identity);
    if (previous) this.remove(previous, DisconnectReason.DUPLICATE_IDENTITY, true);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.participants.set(participant.identity, participant);
    participant.state = ParticipantInfo_State.JOINED;
    const others = [...this.participants.values()].filter(
      (p) => p !== participant && !p.permission.hidden,
    );
    participant.send({
      case: 'join',
      value: new JoinResponse({
        room: this.info(),
        participant: participant.info(),
        otherParticipants: others.map((p) => p.info()),
        serverVersion: SERVER_VERSION,
        serverInfo: this.serverInfo(),
        iceServers: this.deps.iceServers,
        subscriberPrimary: participant.permission.canSubscribe,
        // The client then negotiates its publisher PC (data channels first) right after joining, so
        // its SCTP association comes up with DTLS instead of in a later renegotiation.
        fastPublish: true,
        pingInterval: PING_INTERVAL_S,
        pingTimeout: PING_TIMEOUT_S,
        enabledPublishCodecs: [new Codec({ mime: 'video/VP8' }), new Codec({ mime: 'audio/opus' })],
      }),
    });
    if (participant.permission.canSubscribe) participant.startSubscriber();
    participant.state = ParticipantInfo_State.ACTIVE;
    this.broadcast([participant.info()], participant);
    if (participant.autoSubscribe)
      for (const other of others)
        for (const track of other.tracks.values()) participant.subscribe(other, track);
    this.deps.events?.emit({
      event: 'participant_joined',
      room: this.info(),
      participant: participant.info(),
    });
  }

  /**
   * livekit-client's resume: a new signal socket of a participant still in the room (within its
   * reconnect window, or before its old socket was noticed gone). It keeps its sid, tracks and peer
   * connections; it gets a ReconnectResponse, the room as it is now (including who left while its
   * socket was down) and an ICE-restarting subscriber offer. Its publisher offer with
   * `iceRestart` comes next and is answered as any offer.
   */
  resume(participant: Participant): void {
    const timer = this.lostTimers.get(participant);
    if (timer) clearTimeout(timer);
    this.lostTimers.delete(participant);
    participant.send({
      case: 'reconnect',
      value: new ReconnectResponse({
        iceServers: this.deps.iceServers,
        serverInfo: this.serverInfo(),
      }),
    });
    const since = participant.signalLostAtMs ?? Date.now();
    participant.signalLostAtMs = undefined;
    const present = [...this.participants.values()].filter(
      (p) => p !== participant && !p.permission.hidden,
    );
    const gone = this.departed.filter((d) => d.atMs >= since - 1000).map((d) => d.info);
    participant.send({
      case: 'update',
      value: { participants: [...present.map((p) => p.info()), ...gone] },
    });
    participant.subscriber?.restartIce();
    this.logger.info('livekit participant resumed', {
      room: this.sid,
      participant: participant.sid,
    });
  }

  private serverInfo(): ServerInfo {
    return new ServerInfo({
      edition: ServerInfo_Edition.Standard,
      version: SERVER_VERSION,
      protocol: 16,
      nodeId: 'consultkit-dev',
    });
  }

  /**
   * Disconnects `participant`: tells it why (when `notify`), closes its media, tells the others.
   */
  remove(participant: Participant, reason: DisconnectReason, notify: boolean): void {
    if (this.participants.get(participant.identity) !== participant) return;
    this.participants.delete(participant.identity);
    this.logger.info('livekit participant left', {
      room: this.sid,
      participant: participant.sid,
      reason: DisconnectReason[reason],
    });
    const timer = this.lostTimers.get(participant);
    if (timer) clearTimeout(timer);
    this.lostTimers.delete(participant);
    if (notify)
      participant.send({
        case: 'leave',
        value: new LeaveRequest({
          canReconnect: false,
          reason,
          action: LeaveRequest_Action.DISCONNECT,
        }),
      });
    participant.signal?.close(1000, 'removed');
    const tracks = [...participant.tracks.values()];
    participant.close();
    participant.state = ParticipantInfo_State.DISCONNECTED;
    participant.disconnectReason = reason;
    participant.version++;
    for (const recording of this.recordings) recording.removeStream(participant.sid);
    this.streamChanged(participant.sid, 'released');
    if (!participant.permission.hidden) {
      const info = participant.info();
      this.broadcast([info], participant);
      // A resuming participant whose socket was down missed this update (resume() replays it).
      const now = Date.now();
      this.departed = this.departed.filter((d) => now - d.atMs < this.deps.reconnectWindowMs);
      this.departed.push({ info, atMs: now });
    }
    for (const track of tracks)
      this.deps.events?.emit({
        event: 'track_unpublished',
        room: this.info(),
        participant: participant.info(),
        track: track.info.clone(),
      });
    this.deps.events?.emit({
      event: 'participant_left',
      room: this.info(),
      participant: participant.info(),
    });
    if (this.participants.size === 0) this.armCloseTimer(this.settings.departureTimeoutSec);
  }

  /** Disconnects everyone and forgets the room. */
  close(reason: DisconnectReason = DisconnectReason.ROOM_DELETED): void {
    if (this.closed) return;
    for (const participant of [...this.participants.values()])
      this.remove(participant, reason, true);
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.registryListeners.clear();
    this.deps.events?.emit({ event: 'room_finished', room: this.info() });
    this.deps.onClosed(this);
  }

  updateMetadata(metadata: string): void {
    this.settings.metadata = metadata;
    const room = this.info();
    for (const participant of this.participants.values())
      participant.send({ case: 'roomUpdate', value: { room } });
  }

  // ── ParticipantHost ──

  participantChanged(participant: Participant): void {
    if (participant.permission.hidden) {
      participant.send({ case: 'update', value: { participants: [participant.info()] } });
      return;
    }
    this.broadcast([participant.info()]);
  }

  trackPublished(participant: Participant, track: PublishedTrack): void {
    participant.changed();
    for (const other of this.participants.values())
      if (other !== participant && other.autoSubscribe) other.subscribe(participant, track);
    this.sourcesChanged(participant);
    this.deps.events?.emit({
      event: 'track_published',
      room: this.info(),
      participant: participant.info(),
      track: track.info.clone(),
    });
  }

  trackUnpublished(participant: Participant, track: PublishedTrack): void {
    participant.send({ case: 'trackUnpublished', value: { trackSid: track.sid } });
    participant.changed();
    this.sourcesChanged(participant);
    this.deps.events?.emit({
      event: 'track_unpublished',
      room: this.info(),
      participant: participant.info(),
      track: track.info.clone(),
    });
  }

  dataReceived(sender: Participant, label: string, packet: DataPacket): void {
    const kind = label === LOSSY_LABEL ? DataPacket_Kind.LOSSY : DataPacket_Kind.RELIABLE;
    packet.participantIdentity = sender.identity;
    packet.participantSid = sender.sid;
    let destinations = packet.destinationIdentities;
    if (packet.value.case === 'user') {
      const user = packet.value.value;
      user.participantIdentity = sender.identity;
      user.participantSid = sender.sid;
      if (destinations.length === 0) destinations = user.destinationIdentities;
    }
    this.relay(packet, kind, destinations, sender);
  }

  /** Sends a data packet to everyone but `from`, or to the identities in `destinations`. */
  relay(
    packet: DataPacket,
    kind: DataPacket_Kind,
    destinations: string[],
    from?: Participant,
  ): void {
    const bytes = packet.toBinary();
    const label = kind === DataPacket_Kind.LOSSY ? LOSSY_LABEL : RELIABLE_LABEL;
    const only = destinations.length > 0 ? new Set(destinations) : undefined;
    for (const participant of this.participants.values()) {
      if (participant === from || (only && !only.has(participant.identity))) continue;
      if (!participant.subscriber?.send(label, bytes))
        this.logger.debug('data packet not delivered: channel not open', {
          participant: participant.sid,
        });
    }
  }

  setSubscribed(participant: Participant, trackSid: string, subscribed: boolean): void {
    if (!subscribed) {
      participant.unsubscribe(trackSid);
      return;
    }
    for (const other of this.participants.values()) {
      const track = other.tracks.get(trackSid);
      if (track && other !== participant) participant.subscribe(other, track);
    }
  }

  left(participant: Participant): void {
    this.remove(participant, DisconnectReason.CLIENT_INITIATED, false);
  }

  signalLost(participant: Participant): void {
    if (
      this.participants.get(participant.identity) !== participant ||
      this.lostTimers.has(participant)
    )
      return;
    this.logger.info('livekit signal socket lost; participant kept for its reconnect window', {
      room: this.sid,
      participant: participant.sid,
    });
    participant.signalLostAtMs = Date.now();
    const timer = setTimeout(() => {
      this.lostTimers.delete(participant);
      this.remove(participant, DisconnectReason.SIGNAL_CLOSE, false);
    }, this.deps.reconnectWindowMs);
    timer.unref();
    this.lostTimers.set(participant, timer);
  }

  packetForwarded(): void {
    this.deps.onForward();
  }

  // ── recording ──

  /** The recorder's view: one stream per participant (its microphone and camera, or first of each kind). */
  streamRegistry(): StreamRegistry {
    return {
      get: (streamId) => {
        const participant = [...this.participants.values()].find((p) => p.sid === streamId);
        return participant ? this.recordable(participant) : undefined;
      },
      onChange: (listener) => {
        this.registryListeners.add(listener);
        return () => this.registryListeners.delete(listener);
      },
      recorderStarted: () => this.recorders++,
      recorderStopped: () => this.recorders--,
    };
  }

  private recordable(participant: Participant): RecordableStream | undefined {
    const pick = (kind: 'audio' | 'video', source: TrackSource): PublishedTrack | undefined => {
      const tracks = [...participant.tracks.values()].filter((t) => t.kind === kind);
      return tracks.find((t) => t.info.source === source) ?? tracks[0];
    };
    const audio = pick('audio', TrackSource.MICROPHONE);
    const video = pick('video', TrackSource.CAMERA);
    if (!audio && !video) return undefined;
    const generation = this.generations.get(participant.sid) ?? 1;
    return {
      streamId: participant.sid,
      hasAudio: audio !== undefined,
      hasVideo: video !== undefined,
      tracks: (): {
        generation: number;
        audio: MediaStreamTrack | undefined;
        video: MediaStreamTrack | undefined;
      } => ({
        generation,
        audio: audio?.sourceTrack,
        video: video?.sourceTrack,
      }),
      requestKeyframe: () => video?.keyframes.request(),
    };
  }

  private sourcesChanged(participant: Participant): void {
    this.generations.set(participant.sid, (this.generations.get(participant.sid) ?? 1) + 1);
    if (participant.tracks.size > 0) {
      for (const recording of this.recordings) recording.addStream(participant.sid);
      this.streamChanged(participant.sid, 'published');
    } else {
      this.streamChanged(participant.sid, 'released');
    }
  }

  private streamChanged(streamId: string, change: 'published' | 'released'): void {
    for (const listener of this.registryListeners) listener(streamId, change);
  }

  private broadcast(participants: ParticipantInfo[], except?: Participant): void {
    for (const participant of this.participants.values()) {
      if (participant === except) continue;
      participant.send({ case: 'update', value: { participants } });
    }
  }

  private armCloseTimer(seconds: number): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(
      () => this.close(DisconnectReason.ROOM_CLOSED),
      Math.max(0, seconds) * 1000,
    );
    this.closeTimer.unref();
  }
}
