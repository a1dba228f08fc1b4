/**
 * Types of the pre-call test (`client.precheck()`): its options, its state snapshot and events, and
 * the structured result a portal can log. The implementation (`precheck.ts`) is loaded on demand.
 * @packageDocumentation
 */
import type { ConsultErrorCode, MediaDeviceFailure } from './errors.js';
import type { Unsubscribe } from './types.js';

/** The overall verdict of a pre-call test. @public */
export type PrecheckVerdict = 'good' | 'fair' | 'poor';

/**
 * What the user can do about a problem; the elements translate each key (`precheck.advice.<key>`)
 * into plain words. Stable API: adding a key is a minor change.
 * @public
 */
export type PrecheckAdvice =
  /** Camera permission refused: allow it in the browser's site settings. */
  | 'camera-permission'
  /** No camera found. */
  | 'camera-not-found'
  /** Another application holds the camera. */
  | 'camera-in-use'
  /** The camera failed for another reason. */
  | 'camera-failed'
  /** Microphone permission refused. */
  | 'microphone-permission'
  /** No microphone found. */
  | 'microphone-not-found'
  /** Another application holds the microphone. */
  | 'microphone-in-use'
  /** The microphone failed for another reason. */
  | 'microphone-failed'
  /** The user did not hear the test sound. */
  | 'speaker'
  /** Long round trip: move closer to the Wi-Fi router or use a wired connection. */
  | 'high-latency'
  /** Packets are being lost. */
  | 'packet-loss'
  /** Uneven delivery (jitter). */
  | 'jitter'
  /** Little bandwidth: close other apps and downloads, or turn video off in the call. */
  | 'low-bandwidth'
  /** A relay (TURN) server is configured but could not be reached: strict networks may block calls. */
  | 'turn-unreachable'
  /** The media server could not be reached at all (firewall, proxy, or the service is down). */
  | 'media-server-unreachable';

/** How a capture device fared. @public */
export interface PrecheckDeviceResult {
  /** `ok`, or why it failed (`permission-denied`, `device-not-found`, …). */
  status: 'ok' | MediaDeviceFailure;
  // No device label: labels can carry a person's name ("Ann's AirPods"), and the result is logged.
}

/** Whether a relay (TURN) server could be used. @public */
export type PrecheckTurnStatus = 'reachable' | 'unreachable' | 'not-configured' | 'unknown';

/** ICE candidate type of the path the media took. @public */
export type PrecheckCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** The network measured through the media server. Absent numbers were not reported. @public */
export interface PrecheckNetworkResult {
  /** `ok` when media went up and came back; `failed` when it could not; `skipped` without media. */
  status: 'ok' | 'failed' | 'skipped';
  /** Why it failed (`connection-failed`, `network-error`, `rate-limited`, `timeout`, …). */
  errorCode?: ConsultErrorCode;
  /** Median round trip to the media server, ms. */
  roundTripMs?: number;
  /** Packets lost on the way back, percent of those expected. */
  lossPercent?: number;
  /** Median interarrival jitter, ms. */
  jitterMs?: number;
  /** Median upload (publish) bitrate, kbit/s. */
  upKbps?: number;
  /** Median download (subscribe) bitrate, kbit/s. */
  downKbps?: number;
  /** The browser's estimate of the available upload bandwidth (Chromium), kbit/s. */
  availableUpKbps?: number;
  /** The selected ICE candidate's type: `relay` means the media went through TURN. */
  candidateType?: PrecheckCandidateType;
  turn: PrecheckTurnStatus;
  /** Measurement samples taken. */
  samples: number;
}

/** The speaker check (the element asks the user; the SDK cannot hear). @public */
export type PrecheckSpeakerResult = 'heard' | 'not-heard' | 'skipped';

/**
 * The structured result of a pre-call test: no names, no health data, safe to log.
 * @public
 */
export interface PrecheckResult {
  verdict: PrecheckVerdict;
  /** What to tell the user, most important first. */
  advice: PrecheckAdvice[];
  camera: PrecheckDeviceResult;
  microphone: PrecheckDeviceResult;
  /** Filled in by the element's speaker step; `skipped` from the SDK alone. */
  speaker: PrecheckSpeakerResult;
  network: PrecheckNetworkResult;
  /** The token server's id of the test session, when one was started. */
  precheckId?: string;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Wall time of the whole test, ms. */
  durationMs: number;
}

/** Where a pre-call test is. @public */
export type PrecheckPhase = 'devices' | 'network' | 'done';

/** The snapshot of a running pre-call test. @public */
export interface PrecheckState {
  phase: PrecheckPhase;
  /** Set once the devices were tried. */
  camera?: PrecheckDeviceResult;
  microphone?: PrecheckDeviceResult;
  /** The captured tracks (for a preview and a level meter); stopped when the test is disposed. */
  cameraTrack?: MediaStreamTrack;
  microphoneTrack?: MediaStreamTrack;
  /** 0…1 through the network measurement. */
  progress: number;
  /** Set in phase `done`. */
  result?: PrecheckResult;
}

/** Events of a pre-call test. @public */
export interface PrecheckEventMap {
  /** Every new snapshot. */
  stateChanged: PrecheckState;
  /** Once, when the test is done. */
  result: PrecheckResult;
}

/** Options of `client.precheck()`. @public */
export interface PrecheckOptions {
  /** How long to measure media through the server, ms (default 5000, 2000–30000). */
  durationMs?: number;
  /** Capture constraints of the camera and microphone (deviceId, …). */
  videoConstraints?: MediaTrackConstraints;
  audioConstraints?: MediaTrackConstraints;
  /**
   * Keep the camera and microphone running after the result, until {@link Precheck.dispose}
   * (for a preview while the user reads the verdict). Default false: stopped with the result.
   */
  keepMedia?: boolean;
  /** Aborting ends the test; `result` then rejects with `aborted`. */
  signal?: AbortSignal;
}

/**
 * A running pre-call test: a state snapshot, events, and the result.
 * @remarks The test owns the tracks it captured and the two media-server connections it opened;
 * both are released when it ends, and the tracks (with `keepMedia`) by {@link Precheck.dispose}.
 * @public
 */
export interface Precheck {
  readonly state: PrecheckState;
  /** Calls `listener` with every new snapshot. */
  subscribe(listener: (state: PrecheckState) => void): Unsubscribe;
  on<K extends keyof PrecheckEventMap>(
    event: K,
    listener: (detail: PrecheckEventMap[K]) => void,
  ): Unsubscribe;
  /**
   * Resolves with the result (device and network failures are part of it). Rejects only with a
   * `ConsultError`: `aborted` after {@link Precheck.dispose} or the signal, `invalid-state` when the
   * client has no token-server URL.
   */
  readonly result: Promise<PrecheckResult>;
  /**
   * The result with the user's answer to a speaker check (which the SDK cannot make itself) folded
   * into `speaker`, `verdict` and `advice`; undefined before the result.
   */
  withSpeaker(answer: PrecheckSpeakerResult): PrecheckResult | undefined;
  /** Stops the test if it runs, closes its connections and stops its tracks. Idempotent. */
  dispose(): void;
}
