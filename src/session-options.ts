/**
 * What a session is made from: the options an application passes (`client.join()`,
 * `client.createSession()`), the dependencies the client injects, and the state a new session
 * starts in.
 * @packageDocumentation
 */
import type { ConsultApi } from './api.js';
import type { MediaBackendFactory } from './backend.js';
import type { LocalMedia } from './local-media.js';
import type { Logger } from './logger.js';
import type { Platform } from './platform.js';
import { INITIAL_RECORDING } from './recording.js';
import type { SessionState } from './types.js';

/** Options of a session (`client.join()` / `client.createSession()`). @public */
export interface SessionOptions {
  /** Name to show; the token server may prefer the authenticated user's. */
  displayName?: string;
  /** Start with the microphone on. Default true. */
  audio?: boolean;
  /** Start with the camera on. Default true. */
  video?: boolean;
  /** Initial devices. */
  devices?: { audioDeviceId?: string; videoDeviceId?: string; audioOutputId?: string };
  /** Video constraints besides the device (resolution, frame rate). */
  videoConstraints?: MediaTrackConstraints;
  /** Cancels `join()` (token fetch, waiting, connecting). */
  signal?: AbortSignal;
}

/** What a session is built from (the client supplies it). @internal */
export interface SessionDeps {
  api: ConsultApi;
  backendFactory: MediaBackendFactory;
  platform: Platform;
  logger: Logger;
  /** Backoff of the event stream (tests make it predictable). */
  random?: () => number;
}

/** Initial state of a session. @internal */
export function initialSessionState(consultId: string, media: LocalMedia): SessionState {
  return {
    consultId,
    connection: 'idle',
    connectionReason: 'initial',
    participants: [],
    localMedia: media.state,
    devices: media.devices,
    chat: { messages: [], unread: 0, historyLoaded: false },
    recording: INITIAL_RECORDING,
    lobby: [],
  };
}
