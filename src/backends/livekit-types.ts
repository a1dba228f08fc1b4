/**
 * The part of `livekit-client` the LiveKit backend uses, as narrow structural types: the real
 * classes satisfy them (checked where the default factory builds a `Room`), and unit tests hand in
 * a small fake `Room` through `LiveKitBackendOptions.livekit`. Enum values are written as the
 * strings and numbers `livekit-client` and `@livekit/protocol` use, so this file imports nothing.
 * @packageDocumentation
 */

/** `Track.Source` values. @internal */
export type LkSource = 'camera' | 'microphone' | 'screen_share' | 'screen_share_audio' | 'unknown';

/** A track (local or remote). @internal */
export interface LkTrack {
  readonly mediaStreamTrack: MediaStreamTrack;
  getRTCStatsReport?(): Promise<RTCStatsReport | undefined>;
}

/** A local track as `publishTrack` wraps a MediaStreamTrack. @internal */
export interface LkLocalTrack extends LkTrack {
  mute(): Promise<unknown>;
  unmute(): Promise<unknown>;
  replaceTrack(track: MediaStreamTrack, userProvidedTrack?: boolean): Promise<unknown>;
}

/** A track publication (local or remote). @internal */
export interface LkPublication {
  readonly trackSid: string;
  readonly kind: string;
  readonly source: LkSource;
  readonly isMuted: boolean;
  readonly track?: LkTrack | undefined;
}

/** A remote track publication. @internal */
export interface LkRemotePublication extends LkPublication {
  setSubscribed(subscribed: boolean): void;
}

/** A local track publication. @internal */
export interface LkLocalPublication extends LkPublication {
  readonly track?: LkLocalTrack | undefined;
}

/** A participant (local or remote). @internal */
export interface LkParticipant {
  readonly identity: string;
  readonly metadata?: string | undefined;
  readonly joinedAt?: Date | undefined;
  readonly connectionQuality?: string;
  readonly trackPublications: ReadonlyMap<string, LkPublication>;
}

/** The local participant. @internal */
export interface LkLocalParticipant extends LkParticipant {
  publishTrack(
    track: MediaStreamTrack,
    options: { source: LkSource; name?: string },
  ): Promise<LkLocalPublication>;
  unpublishTrack(
    track: MediaStreamTrack | LkLocalTrack,
    stopOnUnpublish?: boolean,
  ): Promise<unknown>;
  publishData(
    data: Uint8Array,
    options: { reliable: boolean; topic: string; destinationIdentities?: string[] },
  ): Promise<void>;
}

/** A LiveKit Room. `on`'s listeners receive the `RoomEvent` arguments. @internal */
export interface LkRoom {
  readonly localParticipant: LkLocalParticipant;
  readonly remoteParticipants: ReadonlyMap<string, LkParticipant>;
  connect(
    url: string,
    token: string,
    options?: { autoSubscribe?: boolean; rtcConfig?: RTCConfiguration },
  ): Promise<void>;
  disconnect(stopTracks?: boolean): Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

/** Options the backend gives `new Room()`. @internal */
export interface LkRoomOptions {
  adaptiveStream: boolean;
  dynacast: boolean;
  stopLocalTrackOnUnpublish: boolean;
  disconnectOnPageLeave: boolean;
}

/** What the backend needs from the `livekit-client` module. @internal */
export interface LiveKitModule {
  Room: new (options: LkRoomOptions) => LkRoom;
}

/** `DisconnectReason` of `@livekit/protocol` (numeric enum). @internal */
export const LK_DISCONNECT_REASON = {
  UNKNOWN_REASON: 0,
  CLIENT_INITIATED: 1,
  DUPLICATE_IDENTITY: 2,
  SERVER_SHUTDOWN: 3,
  PARTICIPANT_REMOVED: 4,
  ROOM_DELETED: 5,
  STATE_MISMATCH: 6,
  JOIN_FAILURE: 7,
  MIGRATION: 8,
  SIGNAL_CLOSE: 9,
  ROOM_CLOSED: 10,
} as const;

/** `ConnectionErrorReason` of `livekit-client` (numeric enum). @internal */
export const LK_CONNECTION_ERROR = {
  NotAllowed: 0,
  ServerUnreachable: 1,
  InternalError: 2,
  Cancelled: 3,
  LeaveRequest: 4,
  Timeout: 5,
} as const;
