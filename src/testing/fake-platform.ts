/**
 * A complete fake {@link Platform}: manual clock, fake media devices, a fake server behind fetch.
 * @packageDocumentation
 */
import type { Platform } from '../platform.js';
import { FakeClock } from './fake-clock.js';
import { FakeServer } from './fake-fetch.js';
import { createFakeMediaStream, FakeMediaDevices, type FakeDevice } from './fake-media.js';

/** Options of {@link createFakePlatform}. @public */
export interface FakePlatformOptions {
  devices?: readonly FakeDevice[];
  /** Omit media devices entirely (SSR-like, or no capture support). */
  noMediaDevices?: boolean;
  /** Offer getDisplayMedia. Default true. */
  displayMedia?: boolean;
  isMobile?: boolean;
  isSecureContext?: boolean;
  canSelectAudioOutput?: boolean;
  /** Start time of the clock (epoch ms). */
  now?: number;
}

/** A fake platform and handles to drive it. @public */
export interface FakePlatform {
  platform: Platform;
  clock: FakeClock;
  server: FakeServer;
  mediaDevices: FakeMediaDevices;
}

/**
 * Builds a {@link FakePlatform}. Ids from `randomId()` are `id-1`, `id-2`, … so tests can predict them.
 * @public
 */
export function createFakePlatform(options: FakePlatformOptions = {}): FakePlatform {
  const clock = new FakeClock(options.now);
  const server = new FakeServer();
  const mediaDevices = new FakeMediaDevices(options.devices, {
    displayMedia: options.displayMedia ?? true,
  });
  let ids = 0;
  const platform: Platform = {
    fetch: server.fetch,
    clock,
    ...(options.noMediaDevices ? {} : { mediaDevices }),
    isSecureContext: options.isSecureContext ?? true,
    canSelectAudioOutput: options.canSelectAudioOutput ?? true,
    isMobile: options.isMobile ?? false,
    randomId: () => `id-${++ids}`,
    createMediaStream: createFakeMediaStream,
  };
  return { platform, clock, server, mediaDevices };
}
