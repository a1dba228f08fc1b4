/**
 * What a joining subscriber waits for, besides ICE and DTLS: the answer, and the first key frame.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { after, afterEach, describe, it } from 'node:test';
import type { Peer } from './peer.js';
import { createRouterContext } from './router-context.js';
import {
  FakePublisher,
  FakeSubscriber,
  ManualSource,
  routerOver,
  waitFor,
} from './test-support.js';
import type { MediaRouter } from './types.js';
import { createWeriftRouter } from './werift-router.js';

void describe('join latency', () => {
  const peers: { close(): Promise<void> }[] = [];
  const routers: MediaRouter[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await Promise.all(routers.splice(0).map((r) => r.close()));
  });

  void it('asks the publisher for a key frame when the subscription is created, and sends the picture that arrives meanwhile the moment the subscriber connects', async () => {
    const ctx = createRouterContext({});
    const router = routerOver(ctx);
    routers.push(router);
    const source = new ManualSource();
    const publisher = new FakePublisher(router, 'str_CAM_KEY_con_P', source, ['video']);
    peers.push(publisher);
    await publisher.publish();
    await publisher.connected();
    source.sendFrame('key'); // the publisher's first picture, long before anyone subscribes
    source.sendFrame('delta');
    const plisBefore = publisher.plisReceived;

    // The subscriber gets its answer but cannot connect yet (answer not applied, candidates held).
    const subscriber = new FakeSubscriber(router, 'con_S<-con_P', 'str_CAM_KEY_con_P', ['video'], {
      holdCandidates: true,
    });
    peers.push(subscriber);
    const answer = await subscriber.requestAnswer();
    await waitFor('a PLI at the publisher', () => publisher.plisReceived > plisBefore, 5_000);
    assert.notEqual(subscriber.pc.connectionState, 'connected');

    // The publisher answers the PLI with a key frame and goes on with a delta frame, all before the
    // subscriber is connected: the router sees them (and forwards nothing yet).
    const written: number[] = [];
    const entity = ctx.subscribers.get('con_S<-con_P');
    assert.ok(entity);
    const write = entity.write.bind(entity);
    entity.write = (kind, generation, packet) => {
      written.push(packet.header.sequenceNumber);
      return write(kind, generation, packet);
    };
    const sent = [...source.sendFrame('key', 4), ...source.sendFrame('delta', 2)];
    await waitFor('the frames at the router', () => written.length >= sent.length, 5_000);
    assert.equal(router.stats().forwardedPackets, 0);
    assert.equal(subscriber.received.video.length, 0);

    // Connected: the held picture comes first, in order, without a new request to the publisher.
    const plisBeforeConnect = publisher.plisReceived;
    await subscriber.acceptAnswer(answer);
    subscriber.flushCandidates();
    await subscriber.connected();
    await waitFor(
      'the held frames at the subscriber',
      () => subscriber.received.video.length >= sent.length,
      5_000,
    );
    const received = subscriber.received.video.slice(0, sent.length);
    assert.equal(received[0]?.keyframeStart, true, 'the first packet starts a key frame');
    const offset = (received[0]?.sequenceNumber ?? 0) - (sent[0] ?? 0);
    assert.deepEqual(
      received.map((p) => (p.sequenceNumber - offset) & 0xffff),
      sent,
      'key frame and delta frame, in order, nothing missing',
    );
    assert.equal(router.stats().forwardedPackets, sent.length);
    assert.equal(publisher.plisReceived, plisBeforeConnect, 'no second key frame asked for');
  });

  void it('a subscriber whose connected event never came still gets media once its DTLS is up', async () => {
    const ctx = createRouterContext({});
    const router = routerOver(ctx);
    routers.push(router);
    const source = new ManualSource();
    const publisher = new FakePublisher(router, 'str_CAM_EVT_con_P', source, ['video']);
    peers.push(publisher);
    await publisher.publish();
    await publisher.connected();
    const subscriber = new FakeSubscriber(router, 'con_S<-con_P', 'str_CAM_EVT_con_P', ['video'], {
      holdCandidates: true,
    });
    peers.push(subscriber);
    const answer = await subscriber.requestAnswer();
    // Lose the server-side connected event (as a reordered or missed event would).
    const entity = ctx.subscribers.get('con_S<-con_P') as unknown as { peer: Peer } | undefined;
    assert.ok(entity);
    entity.peer.pc.connectionStateChange.allUnsubscribe();
    await subscriber.acceptAnswer(answer);
    subscriber.flushCandidates();
    await subscriber.connected();
    await waitFor(
      'video at the subscriber',
      () => {
        source.sendFrame('delta', 1);
        return subscriber.received.video.length > 0;
      },
      5_000,
    );
  });

  void describe('without ICE servers', () => {
    const lookup = dns.promises.lookup;
    after(() => {
      dns.promises.lookup = lookup;
    });

    void it('looks up and asks no STUN server (werift would ask a public one) before answering', async () => {
      const looked: string[] = [];
      dns.promises.lookup = ((hostname: string, ...rest: unknown[]) => {
        looked.push(hostname);
        return (lookup as (...a: unknown[]) => unknown)(hostname, ...rest);
      }) as typeof lookup;
      try {
        const router = createWeriftRouter();
        routers.push(router);
        const publisher = new FakePublisher(router, 'str_CAM_STUN_con_P', new ManualSource());
        peers.push(publisher);
        const started = performance.now();
        await publisher.publish();
        await publisher.connected();
        console.log(
          `answer in ${publisher.answerMs.toFixed(0)} ms, connected in ${(performance.now() - started).toFixed(0)} ms`,
        );
      } finally {
        dns.promises.lookup = lookup;
      }
      assert.deepEqual(looked, [], 'no host name looked up');
    });
  });
});
