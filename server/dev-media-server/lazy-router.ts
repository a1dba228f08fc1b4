/**
 * A MediaRouter that loads the real one in the background, so the server listens at once (importing
 * werift takes ~0.5 s). Calls made before it is ready wait for it; synchronous ones are queued.
 */
import type { MediaRouter, MediaStats } from './media/types.js';

const EMPTY_STATS: MediaStats = {
  peerConnections: 0,
  publishers: 0,
  subscribers: 0,
  recorders: 0,
  forwardedPackets: 0,
};

export function createLazyRouter(
  load: () => Promise<MediaRouter>,
  onError: (err: unknown) => void,
): MediaRouter {
  let router: MediaRouter | undefined;
  let queued: ((r: MediaRouter) => void)[] = [];
  const loading = load().then(
    (r) => {
      router = r;
      for (const q of queued) q(r);
      queued = [];
      return r;
    },
    (err: unknown) => {
      queued = [];
      onError(err);
      throw err;
    },
  );
  // The failure is reported through onError and through every later call.
  loading.catch(() => undefined);
  const later = (fn: (r: MediaRouter) => void): void => {
    if (router) fn(router);
    else queued.push(fn);
  };
  return {
    publish: async (req) => (await loading).publish(req),
    subscribe: async (req) => (await loading).subscribe(req),
    republish: async (req) => (await loading).republish(req),
    resubscribe: async (req) => (await loading).resubscribe(req),
    startRecording: async (req) => (await loading).startRecording(req),
    addIceCandidate: (id, c) => later((r) => r.addIceCandidate(id, c)),
    release: (id) => later((r) => r.release(id)),
    stats: () => router?.stats() ?? { ...EMPTY_STATS },
    close: async () => {
      const r = await loading.catch(() => undefined);
      await r?.close();
    },
  };
}
