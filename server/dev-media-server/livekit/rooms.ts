/**
 * The registry of LiveKit rooms ({@link LiveKitRooms}, what the Twirp services call) and the join
 * path of the signalling socket: a verified grant becomes a participant in its room (created on
 * first join, as LiveKit does).
 */
import { mkdir } from 'node:fs/promises';
import { DataPacket, DisconnectReason, UserPacket } from '@livekit/protocol';
import type {
  ICEServer,
  ParticipantInfo,
  Room as RoomInfo,
  TrackInfo,
  DataPacket_Kind,
} from '@livekit/protocol';
import type { PeerConfig } from 'werift';
import { startRecording } from '../media/recorder.js';
import type { ActiveRecording } from '../media/types.js';
import type { Logger } from '../logger.js';
import type { JoinGrant } from './auth.js';
import type {
  CreateRoomOptions,
  LiveKitEvents,
  LiveKitRooms,
  UpdateParticipantOptions,
} from './contract.js';
import { Participant } from './participant.js';
import { Room } from './room.js';

export interface RoomRegistryOptions {
  logger: Logger;
  baseConfig: Partial<PeerConfig>;
  iceServers: ICEServer[];
  events?: LiveKitEvents | undefined;
  reconnectWindowMs: number;
}

/** LiveKit's defaults: an unused room lives 5 minutes, an emptied one 20 seconds. */
const DEFAULT_EMPTY_TIMEOUT_S = 300;
const DEFAULT_DEPARTURE_TIMEOUT_S = 20;

export class RoomRegistry implements LiveKitRooms {
  readonly rooms = new Map<string, Room>();
  forwardedPackets = 0;
  private readonly recordings = new Set<{ abort(): Promise<void> }>();

  constructor(private readonly options: RoomRegistryOptions) {}

  createRoom(options: CreateRoomOptions): RoomInfo {
    return this.ensureRoom(options).info();
  }

  listRooms(names?: string[]): RoomInfo[] {
    const rooms = names
      ? names.map((n) => this.rooms.get(n)).filter((r): r is Room => !!r)
      : [...this.rooms.values()];
    return rooms.map((r) => r.info());
  }

  deleteRoom(name: string): boolean {
    const room = this.rooms.get(name);
    if (!room) return false;
    room.close(DisconnectReason.ROOM_DELETED);
    return true;
  }

  updateRoomMetadata(name: string, metadata: string): RoomInfo | undefined {
    const room = this.rooms.get(name);
    if (!room) return undefined;
    room.updateMetadata(metadata);
    return room.info();
  }

  listParticipants(room: string): ParticipantInfo[] | undefined {
    const found = this.rooms.get(room);
    return found ? [...found.participants.values()].map((p) => p.info()) : undefined;
  }

  getParticipant(room: string, identity: string): ParticipantInfo | undefined {
    return this.rooms.get(room)?.participants.get(identity)?.info();
  }

  removeParticipant(room: string, identity: string): boolean {
    const found = this.rooms.get(room);
    const participant = found?.participants.get(identity);
    if (!found || !participant) return false;
    found.remove(participant, DisconnectReason.PARTICIPANT_REMOVED, true);
    return true;
  }

  updateParticipant(
    room: string,
    identity: string,
    update: UpdateParticipantOptions,
  ): ParticipantInfo | undefined {
    const participant = this.rooms.get(room)?.participants.get(identity);
    if (!participant) return undefined;
    if (update.metadata !== undefined) participant.metadata = update.metadata;
    if (update.name !== undefined) participant.name = update.name;
    if (update.permission) participant.permission = update.permission.clone();
    for (const [key, value] of Object.entries(update.attributes ?? {})) {
      if (value === '') delete participant.attributes[key];
      else participant.attributes[key] = value;
    }
    participant.changed();
    return participant.info();
  }

  mutePublishedTrack(
    room: string,
    identity: string,
    trackSid: string,
    muted: boolean,
  ): TrackInfo | undefined {
    const participant = this.rooms.get(room)?.participants.get(identity);
    const info = participant?.setMuted(trackSid, muted);
    if (!participant || !info) return undefined;
    // The client mutes its own track when told (and answers with MuteTrackRequest).
    participant.send({ case: 'mute', value: { sid: trackSid, muted } });
    return info.clone();
  }

  sendData(
    room: string,
    payload: Uint8Array,
    options: { kind: DataPacket_Kind; destinationIdentities?: string[]; topic?: string },
  ): boolean {
    const found = this.rooms.get(room);
    if (!found) return false;
    const destinations = options.destinationIdentities ?? [];
    const packet = new DataPacket({
      kind: options.kind,
      destinationIdentities: destinations,
      value: {
        case: 'user',
        value: new UserPacket({
          payload,
          destinationIdentities: destinations,
          ...(options.topic !== undefined ? { topic: options.topic } : {}),
        }),
      },
    });
    found.relay(packet, options.kind, destinations);
    return true;
  }

  async recordRoom(
    room: string,
    options: { recordingId: string; dir: string; name: string; audioOnly?: boolean },
  ): Promise<ActiveRecording | undefined> {
    const found = this.rooms.get(room);
    if (!found) return undefined;
    await mkdir(options.dir, { recursive: true });
    const streamIds = [...found.participants.values()]
      .filter((p) => p.tracks.size > 0)
      .map((p) => p.sid);
    const recording = await startRecording(
      {
        recordingId: options.recordingId,
        dir: options.dir,
        name: options.name,
        outputMode: 'COMPOSED',
        hasAudio: true,
        hasVideo: options.audioOnly !== true,
        resolution: '1280x720',
        frameRate: 25,
        streamIds,
      },
      found.streamRegistry(),
      this.options.logger,
    );
    const entry = {
      addStream: (id: string) => recording.addStream(id),
      removeStream: (id: string) => recording.removeStream(id),
    };
    found.recordings.add(entry);
    this.recordings.add(recording);
    const forget = (): void => {
      found.recordings.delete(entry);
      this.recordings.delete(recording);
    };
    return {
      addStream: (streamId, metadata) => recording.addStream(streamId, metadata),
      removeStream: (streamId) => recording.removeStream(streamId),
      stop: async () => {
        forget();
        return recording.stop();
      },
    };
  }

  /** Admits a participant for a verified grant; throws when the room is full. */
  join(grant: JoinGrant, autoSubscribe: boolean): { room: Room; participant: Participant } {
    const room = this.ensureRoom({ name: grant.room });
    if (!room.hasRoomFor(grant.identity)) throw new Error('room is full');
    const participant = new Participant(grant, autoSubscribe, room);
    return { room, participant };
  }

  findParticipant(
    roomName: string,
    sid: string,
  ): { room: Room; participant: Participant } | undefined {
    const room = this.rooms.get(roomName);
    const participant = room && [...room.participants.values()].find((p) => p.sid === sid);
    return room && participant ? { room, participant } : undefined;
  }

  stats(): { rooms: number; participants: number; recordings: number } {
    let participants = 0;
    for (const room of this.rooms.values()) participants += room.participants.size;
    return { rooms: this.rooms.size, participants, recordings: this.recordings.size };
  }

  async close(): Promise<void> {
    await Promise.all([...this.recordings].map((r) => r.abort()));
    this.recordings.clear();
    for (const room of [...this.rooms.values()]) room.close(DisconnectReason.SERVER_SHUTDOWN);
  }

  private ensureRoom(options: CreateRoomOptions): Room {
    const existing = this.rooms.get(options.name);
    if (existing && !existing.isClosed) return existing;
    const room = new Room(
      {
        name: options.name,
        emptyTimeoutSec: options.emptyTimeoutSec || DEFAULT_EMPTY_TIMEOUT_S,
        departureTimeoutSec: options.departureTimeoutSec || DEFAULT_DEPARTURE_TIMEOUT_S,
        maxParticipants: options.maxParticipants ?? 0,
        metadata: options.metadata ?? '',
      },
      {
        logger: this.options.logger,
        baseConfig: this.options.baseConfig,
        events: this.options.events,
        iceServers: this.options.iceServers,
        reconnectWindowMs: this.options.reconnectWindowMs,
        onClosed: (closed) => {
          if (this.rooms.get(closed.settings.name) === closed)
            this.rooms.delete(closed.settings.name);
        },
        onForward: () => this.forwardedPackets++,
      },
    );
    this.rooms.set(options.name, room);
    return room;
  }
}
