/**
 * The dev media server's SFU, a facade over its entities: a {@link Publisher} per published stream
 * and a {@link Subscriber} per subscriber endpoint, each on its own {@link Peer} (one werift
 * RTCPeerConnection). Negotiations are browser-offered (the signalling side tells openvidu-browser
 * its media server is "kurento"), codecs are VP8 and Opus only, and RTP is forwarded without
 * transcoding. Closing cascades as in mediasoup: a publisher closes its subscribers, and every
 * endpoint closes its peer. What the signalling side expects of it is described in
 * docs/openvidu-protocol.md.
 */
import { isEndOfCandidates } from './ice.js';
import { Publisher } from './publisher.js';
import { startRecording as startRecorder } from './recorder.js';
import type { StreamRegistry } from './recorder.js';
import { createRouterContext } from './router-context.js';
import { Subscriber } from './subscriber.js';
import type {
  ActiveRecording,
  IceCandidate,
  MediaRouter,
  MediaRouterOptions,
  MediaStats,
  PublishRequest,
  RecordingRequest,
  SubscribeRequest,
} from './types.js';

type RegistryListener = (streamId: string, change: 'published' | 'released') => void;

export function createWeriftRouter(options: MediaRouterOptions = {}): MediaRouter {
  const registryListeners = new Set<RegistryListener>();
  const ctx = createRouterContext(options, (streamId, change) => {
    for (const listener of registryListeners) listener(streamId, change);
  });
  const { publishers, subscribers, pending } = ctx;
  const recordings = new Set<{ abort(): Promise<void> }>();
  const recorderCounter = { active: 0 };
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error('media router is closed');
  }

  async function publish(req: PublishRequest): Promise<{ sdpAnswer: string }> {
    assertOpen();
    if (publishers.has(req.streamId))
      throw new Error(`Stream ${req.streamId} is already published`);
    const publisher = new Publisher(ctx, req);
    publishers.set(req.streamId, publisher);
    return { sdpAnswer: await publisher.publish(req) };
  }

  async function subscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }> {
    assertOpen();
    const publisher = publishers.get(req.streamId);
    if (!publisher || publisher.closed)
      throw new Error(
        `subscribe ${req.endpointId} failed: stream ${req.streamId} is not published`,
      );
    if (subscribers.has(req.endpointId))
      throw new Error(`subscriber endpoint ${req.endpointId} already exists`);
    const subscriber = new Subscriber(ctx, req, publisher);
    subscribers.set(req.endpointId, subscriber);
    return { sdpAnswer: await subscriber.subscribe(req) };
  }

  const registry: StreamRegistry = {
    get: (streamId) => {
      const publisher = publishers.get(streamId);
      return publisher && !publisher.closed ? publisher.recordable() : undefined;
    },
    onChange(listener) {
      registryListeners.add(listener);
      return () => registryListeners.delete(listener);
    },
    recorderStarted: () => recorderCounter.active++,
    recorderStopped: () => recorderCounter.active--,
  };

  return {
    publish,
    subscribe,

    async republish(req: PublishRequest): Promise<{ sdpAnswer: string }> {
      assertOpen();
      const publisher = publishers.get(req.streamId);
      if (!publisher) return publish(req);
      return { sdpAnswer: await publisher.republish(req) };
    },

    async resubscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }> {
      assertOpen();
      const subscriber = subscribers.get(req.endpointId);
      if (!subscriber || subscriber.streamId !== req.streamId) {
        subscriber?.close();
        return subscribe(req);
      }
      return { sdpAnswer: await subscriber.resubscribe(req) };
    },

    addIceCandidate(endpointId: string, candidate: IceCandidate): void {
      if (closed || isEndOfCandidates(candidate)) return;
      const endpoint = publishers.get(endpointId) ?? subscribers.get(endpointId);
      if (endpoint) endpoint.addIceCandidate(candidate);
      else pending.add(endpointId, candidate);
    },

    release(endpointId: string): void {
      publishers.get(endpointId)?.close();
      subscribers.get(endpointId)?.close();
      pending.delete(endpointId);
    },

    async startRecording(req: RecordingRequest): Promise<ActiveRecording> {
      assertOpen();
      const recording = await startRecorder(req, registry, ctx.logger);
      recordings.add(recording);
      return {
        addStream: (streamId, metadata) => recording.addStream(streamId, metadata),
        removeStream: (streamId) => recording.removeStream(streamId),
        stop: async () => {
          try {
            return await recording.stop();
          } finally {
            recordings.delete(recording);
          }
        },
      };
    },

    stats(): MediaStats {
      return {
        peerConnections: ctx.peers.size,
        publishers: publishers.size,
        subscribers: subscribers.size,
        recorders: recorderCounter.active,
        forwardedPackets: ctx.forwardedPackets,
        pendingCandidates: pending.size,
      };
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...recordings].map((recording) => recording.abort()));
      recordings.clear();
      // Publishers close their subscribers; a peer still negotiating is closed when its negotiation
      // finds its endpoint closed.
      for (const publisher of [...publishers.values()]) publisher.close();
      for (const subscriber of [...subscribers.values()]) subscriber.close();
      pending.clear();
      registryListeners.clear();
    },
  };
}
