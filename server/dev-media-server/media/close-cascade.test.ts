/**
 * The werift router's close cascade: a publisher closes its subscribers, every endpoint closes its
 * peer, and a peer closed underneath an endpoint closes that endpoint (and, for a publisher, its
 * subscribers). Nothing is left in the maps or in `stats()` afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRouterContext } from './router-context.js';
import {
  FakePublisher,
  FakeSubscriber,
  SyntheticSource,
  routerOver,
  waitFor,
} from './test-support.js';
import type { MediaRouter } from './types.js';
import { createWeriftRouter } from './werift-router.js';

let source: SyntheticSource;

before(async () => {
  source = new SyntheticSource();
  await source.start();
});

after(async () => {
  await source.stop();
});

function counters(router: MediaRouter): Record<string, number | undefined> {
  const s = router.stats();
  return {
    pcs: s.peerConnections,
    pubs: s.publishers,
    subs: s.subscribers,
    pending: s.pendingCandidates,
  };
}

const EMPTY = { pcs: 0, pubs: 0, subs: 0, pending: 0 };

/** A publisher with `n` connected subscribers receiving video. */
async function stream(
  router: MediaRouter,
  streamId: string,
  n: number,
  peers: { close(): Promise<void> }[],
): Promise<FakeSubscriber[]> {
  const publisher = new FakePublisher(router, streamId, source);
  peers.push(publisher);
  await publisher.publish();
  await publisher.connected();
  const subscribers: FakeSubscriber[] = [];
  for (let i = 0; i < n; i++) {
    const subscriber = new FakeSubscriber(router, `con_S${i}<-${streamId}`, streamId);
    peers.push(subscriber);
    await subscriber.subscribe();
    await subscriber.connected();
    subscribers.push(subscriber);
  }
  await waitFor('video at every subscriber', () =>
    subscribers.every((s) => s.received.video.length > 3),
  );
  return subscribers;
}

void describe('werift router: close cascade', () => {
  const peers: { close(): Promise<void> }[] = [];

  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });

  void it('releasing a publisher closes its subscribers and leaves no entries in stats()', async () => {
    const router = createWeriftRouter();
    try {
      const subscribers = await stream(router, 'str_CAM_CAS1_con_P', 2, peers);
      assert.deepEqual(counters(router), { pcs: 3, pubs: 1, subs: 2, pending: 0 });
      router.release('str_CAM_CAS1_con_P');
      assert.deepEqual(counters(router), EMPTY);
      const forwarded = router.stats().forwardedPackets;
      const received = subscribers.map((s) => s.received.video.length);
      // The subscribers' endpoints are gone: releasing them again is a no-op and nothing is forwarded.
      router.release('con_S0<-str_CAM_CAS1_con_P');
      assert.deepEqual(counters(router), EMPTY);
      const sourced = source.packets.video;
      await waitFor('the source keeps producing', () => source.packets.video > sourced + 10);
      assert.equal(router.stats().forwardedPackets, forwarded);
      assert.ok(subscribers.every((s, i) => s.received.video.length - (received[i] ?? 0) < 5));
      await assert.rejects(
        new FakeSubscriber(router, 'con_late<-P', 'str_CAM_CAS1_con_P').subscribe(),
        /is not published/,
      );
    } finally {
      await router.close();
    }
  });

  void it('closing the router closes every publisher, subscriber and peer connection', async () => {
    const router = createWeriftRouter();
    await stream(router, 'str_CAM_CAS2_con_A', 1, peers);
    await stream(router, 'str_CAM_CAS3_con_B', 2, peers);
    assert.deepEqual(counters(router), { pcs: 5, pubs: 2, subs: 3, pending: 0 });
    await router.close();
    assert.deepEqual(counters(router), EMPTY);
  });
});

void describe('werift entities: a peer closes what it carries', () => {
  const peers: { close(): Promise<void> }[] = [];

  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });

  void it("closing a publisher's peer closes the publisher and its subscribers", async () => {
    const released: string[] = [];
    const ctx = createRouterContext({}, (streamId, change) =>
      released.push(`${change}:${streamId}`),
    );
    const router = routerOver(ctx);
    await stream(router, 'str_CAM_PEER_con_P', 2, peers);
    const publisherPeer = [...ctx.peers].find((p) => p.endpointId === 'str_CAM_PEER_con_P');
    assert.ok(publisherPeer);
    publisherPeer.close();
    assert.deepEqual(counters(router), EMPTY);
    assert.deepEqual(released, ['published:str_CAM_PEER_con_P', 'released:str_CAM_PEER_con_P']);
  });

  void it("closing a subscriber's peer closes only that subscriber", async () => {
    const ctx = createRouterContext({});
    const router = routerOver(ctx);
    const [first, second] = await stream(router, 'str_CAM_PEER2_con_P', 2, peers);
    assert.ok(first && second);
    const firstPeer = [...ctx.peers].find((p) => p.endpointId === 'con_S0<-str_CAM_PEER2_con_P');
    assert.ok(firstPeer);
    firstPeer.close();
    assert.deepEqual(counters(router), { pcs: 2, pubs: 1, subs: 1, pending: 0 });
    const before = second.received.video.length;
    await waitFor(
      'the other subscriber keeps receiving',
      () => second.received.video.length > before + 5,
    );
    ctx.publishers.get('str_CAM_PEER2_con_P')?.close();
    assert.deepEqual(counters(router), EMPTY);
  });
});
