/**
 * The pure mappings of the LiveKit adapter: LiveKit's connection quality and `DisconnectReason`
 * onto the SDK's levels and reason names, what `livekit-client` rejects with onto
 * {@link ConsultError} codes, and a participant and its track publications onto the backend's
 * connections and streams. Nothing here holds state; the unit tests import these through
 * `livekit.ts`, which re-exports them.
 * @packageDocumentation
 */
import type { BackendConnection, BackendStream } from '../backend.js';
import { ConsultError, isAbortError, type ConsultErrorCode } from '../errors.js';
import type { QualityLevel } from '../types.js';
import {
  LK_CONNECTION_ERROR,
  LK_DISCONNECT_REASON,
  type LkParticipant,
  type LkPublication,
  type LkSource,
} from './livekit-types.js';

/** Suffixes of the stream ids the backend presents per participant. @internal */
export const CAMERA_SUFFIX = '#camera';
/** @internal */
export const SCREEN_SUFFIX = '#screen';

/** The id of the camera or screen stream the backend presents for `identity`. @internal */
export function streamKey(identity: string, kind: 'camera' | 'screen'): string {
  return identity + (kind === 'screen' ? SCREEN_SUFFIX : CAMERA_SUFFIX);
}

/**
 * LiveKit's connection quality onto the SDK's levels: `excellent`/`good` → `good`,
 * `poor`/`lost` → `poor`; anything else (`unknown`) → undefined (the classifier decides).
 * LiveKit's `poor` is its lowest live grade (one bar), so it is the SDK's `poor`, which is what the
 * audio-only advice watches; LiveKit has no grade between `good` and `poor` to map onto `fair`.
 * @internal
 */
export function qualityLevel(quality: string | undefined): QualityLevel | undefined {
  switch (quality) {
    case 'excellent':
    case 'good':
      return 'good';
    case 'poor':
    case 'lost':
      return 'poor';
    default:
      return undefined;
  }
}

/**
 * A `DisconnectReason` onto the reason names the session understands (OpenVidu's):
 * we left → `disconnect`; removed by the server or replaced by the same identity →
 * `forceDisconnectByServer` (the session ends `evicted`); room deleted or closed →
 * `sessionClosedByServer` (`session-closed`); anything else → `networkDisconnect` (the session
 * fails with `connection-lost`, the LiveKit reason in the error's details).
 * @internal
 */
export function disconnectReason(reason: number | undefined): string {
  switch (reason) {
    case LK_DISCONNECT_REASON.CLIENT_INITIATED:
      return 'disconnect';
    case LK_DISCONNECT_REASON.PARTICIPANT_REMOVED:
    case LK_DISCONNECT_REASON.DUPLICATE_IDENTITY:
      return 'forceDisconnectByServer';
    case LK_DISCONNECT_REASON.ROOM_DELETED:
    case LK_DISCONNECT_REASON.ROOM_CLOSED:
      return 'sessionClosedByServer';
    default:
      return 'networkDisconnect';
  }
}

/** A property of an unknown value (undefined unless it is an object). @internal */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** What `Room.connect` rejects with (a `ConnectionError` with a numeric `reason`) as a ConsultError. @internal */
export function translateLiveKitError(error: unknown, fallback: ConsultErrorCode): ConsultError {
  if (error instanceof ConsultError) return error;
  if (isAbortError(error)) return ConsultError.aborted(error);
  const reason = field(error, 'reason');
  const status = field(error, 'status');
  const message = field(error, 'message');
  const make = (code: ConsultErrorCode): ConsultError =>
    new ConsultError(code, typeof message === 'string' && message ? message : code, {
      cause: error,
      details: {
        ...(typeof reason === 'number' ? { liveKitReason: reason } : {}),
        ...(typeof status === 'number' ? { status } : {}),
      },
    });
  if (reason === LK_CONNECTION_ERROR.NotAllowed) return make('forbidden');
  if (reason === LK_CONNECTION_ERROR.Cancelled) return ConsultError.aborted(error);
  return make(fallback);
}

/** A track that can still be published. @internal */
export function isLive(track: MediaStreamTrack | undefined): track is MediaStreamTrack {
  return !!track && track.readyState !== 'ended';
}

/** A participant as the backend's connection. @internal */
export function toConnection(p: LkParticipant): BackendConnection {
  return {
    connectionId: p.identity,
    serverData: p.metadata ?? '',
    clientData: '',
    createdAt: p.joinedAt?.getTime() ?? Date.now(),
  };
}

/** A publication of the screen share (video or audio). @internal */
export const isScreen = (source: LkSource): boolean =>
  source === 'screen_share' || source === 'screen_share_audio';

/** The camera (or screen) stream of a participant as the backend presents it. @internal */
export function streamOf(p: LkParticipant, kind: 'camera' | 'screen'): BackendStream | undefined {
  const pubs = [...p.trackPublications.values()].filter(
    (pub) => isScreen(pub.source) === (kind === 'screen'),
  );
  if (pubs.length === 0) return undefined;
  const audio = pubs.find((pub) => pub.kind === 'audio');
  const video = pubs.find((pub) => pub.kind === 'video');
  return {
    streamId: streamKey(p.identity, kind),
    connectionId: p.identity,
    kind,
    hasAudio: !!audio,
    hasVideo: !!video,
    audioActive: !!audio && !audio.isMuted,
    videoActive: !!video && !video.isMuted,
  };
}

/** Two presentations of a stream have the same shape and the same mute states. @internal */
export function sameStream(a: BackendStream | undefined, b: BackendStream | undefined): boolean {
  return (
    !!a &&
    !!b &&
    a.hasAudio === b.hasAudio &&
    a.hasVideo === b.hasVideo &&
    a.audioActive === b.audioActive &&
    a.videoActive === b.videoActive
  );
}

/** Merges several stats reports (one per track) into one for `summarizeStats`. @internal */
export function mergeReports(reports: (RTCStatsReport | undefined)[]): RTCStatsReport {
  const merged = new Map<string, unknown>();
  for (const report of reports) report?.forEach((value, key: string) => merged.set(key, value));
  return merged as unknown as RTCStatsReport;
}

/** Subscribes to (or drops) a remote publication; local publications have no such switch. @internal */
export function setSubscribed(pub: LkPublication, subscribed: boolean): void {
  const remote = pub as Partial<{ setSubscribed(value: boolean): void }>;
  remote.setSubscribed?.(subscribed);
}
