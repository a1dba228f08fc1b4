/**
 * A MediaRouter with no media: negotiations and recordings are rejected, everything else is a no-op.
 * Used when the werift router is not available and by signalling-only tests.
 */
import type { MediaRouter, MediaStats } from './types.js';

export function createNullRouter(): MediaRouter {
  const unavailable = (): Promise<never> =>
    Promise.reject(new Error('no media router is available in this server'));
  const stats: MediaStats = {
    peerConnections: 0,
    publishers: 0,
    subscribers: 0,
    recorders: 0,
    forwardedPackets: 0,
  };
  return {
    publish: unavailable,
    subscribe: unavailable,
    republish: unavailable,
    resubscribe: unavailable,
    startRecording: unavailable,
    addIceCandidate: () => undefined,
    release: () => undefined,
    stats: () => ({ ...stats }),
    close: () => Promise.resolve(),
  };
}
