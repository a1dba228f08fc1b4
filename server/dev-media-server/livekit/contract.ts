/**
 * The seam inside the dev media server's LiveKit mode (`--protocol livekit`) between its signalling
 * and media half (the WebSocket at `/rtc`, rooms, participants, the werift peer connections) and its
 * HTTP half (the Twirp room and egress services, signed webhooks). The messages are
 * `@livekit/protocol`'s own, so both halves speak LiveKit's vocabulary and neither reaches into the
 * other: the rooms implement {@link LiveKitRooms}, the services call it, and the rooms report what
 * happens through {@link LiveKitEvents}.
 */
import type {
  DataPacket_Kind,
  ParticipantInfo,
  ParticipantPermission,
  Room,
  TrackInfo,
} from '@livekit/protocol';
import type { ActiveRecording } from '../media/types.js';

/** What `RoomService.CreateRoom` may set (the rest of `CreateRoomRequest` is accepted and ignored). */
export interface CreateRoomOptions {
  name: string;
  emptyTimeoutSec?: number;
  departureTimeoutSec?: number;
  maxParticipants?: number;
  metadata?: string;
}

export interface UpdateParticipantOptions {
  metadata?: string;
  name?: string;
  permission?: ParticipantPermission;
  attributes?: Record<string, string>;
}

/** What the Twirp services and the egress need from the rooms. Room names and identities are validated by the caller. */
export interface LiveKitRooms {
  /** Creates the room, or returns the existing one unchanged (LiveKit's CreateRoom is idempotent). */
  createRoom(options: CreateRoomOptions): Room;
  /** All rooms, or those named (unknown names are skipped). */
  listRooms(names?: string[]): Room[];
  /** Disconnects everyone (leave reason ROOM_DELETED) and forgets the room; false when unknown. */
  deleteRoom(name: string): boolean;
  updateRoomMetadata(name: string, metadata: string): Room | undefined;
  /** Undefined when the room is unknown. */
  listParticipants(room: string): ParticipantInfo[] | undefined;
  getParticipant(room: string, identity: string): ParticipantInfo | undefined;
  /** Disconnects the participant (leave reason PARTICIPANT_REMOVED); false when not there. */
  removeParticipant(room: string, identity: string): boolean;
  updateParticipant(
    room: string,
    identity: string,
    update: UpdateParticipantOptions,
  ): ParticipantInfo | undefined;
  /** Mutes or unmutes a published track (RoomService.MutePublishedTrack). */
  mutePublishedTrack(
    room: string,
    identity: string,
    trackSid: string,
    muted: boolean,
  ): TrackInfo | undefined;
  /** Sends a data packet from the server to everyone, or to the identities given; false when the room is unknown. */
  sendData(
    room: string,
    payload: Uint8Array,
    options: { kind: DataPacket_Kind; destinationIdentities?: string[]; topic?: string },
  ): boolean;
  /**
   * Records the room's published audio and video (now and later) into one file through the shared
   * recorder (a room-composite egress); undefined when the room is unknown.
   */
  recordRoom(
    room: string,
    options: { recordingId: string; dir: string; name: string; audioOnly?: boolean },
  ): Promise<ActiveRecording | undefined>;
}

/** The webhook events of LiveKit the rooms emit (egress events come from the egress service). */
export type LiveKitRoomEvent =
  | { event: 'room_started'; room: Room }
  | { event: 'room_finished'; room: Room }
  | { event: 'participant_joined'; room: Room; participant: ParticipantInfo }
  | { event: 'participant_left'; room: Room; participant: ParticipantInfo }
  | { event: 'track_published'; room: Room; participant: ParticipantInfo; track: TrackInfo }
  | { event: 'track_unpublished'; room: Room; participant: ParticipantInfo; track: TrackInfo };

/** Where the rooms report what happened (the webhook sender implements it; tests may record it). */
export interface LiveKitEvents {
  emit(event: LiveKitRoomEvent): void;
}
