/**
 * Platform dependencies the SDK uses, injected so that tests, SSR and unusual hosts can replace them.
 * Nothing here is read at import time: `browserPlatform()` looks at `globalThis` only when called.
 * @packageDocumentation
 */

/** The subset of `MediaDevices` the SDK uses. @public */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  enumerateDevices(): Promise<MediaDeviceInfo[]>;
  getDisplayMedia?(options?: DisplayMediaStreamOptions): Promise<MediaStream>;
  addEventListener(type: 'devicechange', listener: () => void): void;
  removeEventListener(type: 'devicechange', listener: () => void): void;
}

/** Timers, so tests can drive time. @public */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Everything the SDK takes from its host. @public */
export interface Platform {
  fetch: typeof fetch;
  clock: Clock;
  /** Absent where the browser has no media capture (or during SSR). */
  mediaDevices?: MediaDevicesLike;
  isSecureContext: boolean;
  /** `HTMLMediaElement.prototype.setSinkId` exists. */
  canSelectAudioOutput: boolean;
  /** Touch-first device where screen sharing is not offered. */
  isMobile: boolean;
  /** A random id (message ids, request ids). */
  randomId(): string;
  /**
   * Builds a `MediaStream` from tracks (`new MediaStream(tracks)` in browsers). Optional: without
   * it, local media hands out the streams getUserMedia returned.
   */
  createMediaStream?(tracks: readonly MediaStreamTrack[]): MediaStream;
}

/** A clock on the host's timers. @public */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof globalThis.setInterval>),
};

function randomId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/**
 * The platform of the current browser (or of Node, where media capture is absent). Call it when a
 * session is created, not at import time.
 * @public
 */
export function browserPlatform(): Platform {
  const g = globalThis as typeof globalThis & {
    navigator?: Navigator;
    isSecureContext?: boolean;
    HTMLMediaElement?: { prototype: object };
  };
  const nav = g.navigator;
  const ua = nav?.userAgent ?? '';
  const mediaDevices = nav?.mediaDevices as MediaDevicesLike | undefined;
  return {
    fetch: (input, init) => g.fetch(input, init),
    clock: systemClock,
    mediaDevices,
    isSecureContext: g.isSecureContext ?? true,
    canSelectAudioOutput: !!g.HTMLMediaElement && 'setSinkId' in g.HTMLMediaElement.prototype,
    isMobile:
      /Android|iPhone|iPad|iPod|Mobile/i.test(ua) ||
      (/Macintosh/.test(ua) && (nav?.maxTouchPoints ?? 0) > 1),
    randomId,
    ...(typeof g.MediaStream === 'function'
      ? {
          createMediaStream: (tracks: readonly MediaStreamTrack[]) =>
            new g.MediaStream([...tracks]),
        }
      : {}),
  };
}
