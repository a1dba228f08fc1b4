/**
 * Publisher bandwidth feedback and impairment on real werift peer connections: publishers are
 * answered with REMB and without transport-cc, get a REMB once a second (the impairment's cap when
 * there is one), and an impaired subscriber link drops or delays what is forwarded to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } from 'werift';
import { PUBLISHER_REMB_BPS, rembFields } from './remb.js';
import { FakePublisher, FakeSubscriber, SyntheticSource, waitFor } from './test-support.js';
import type { LinkImpairment, MediaRouter } from './types.js';
import { createWeriftRouter } from './werift-router.js';

const off: LinkImpairment = { lossPercent: 0, delayMs: 0, jitterMs: 0, rateKbps: 0 };

void describe('REMB encoding', () => {
  for (const bps of [0, 1000, 262_143, 300_000, PUBLISHER_REMB_BPS, 123_456_789]) {
    void it(`round-trips ${bps} bit/s within the mantissa's precision`, () => {
      const packet = new ReceiverEstimatedMaxBitrate({
        ssrcNum: 1,
        ssrcFeedbacks: [7],
        ...rembFields(bps),
      });
      const parsed = ReceiverEstimatedMaxBitrate.deSerialize(packet.serialize());
      const got = Number(parsed.bitrate);
      assert.ok(got <= bps && got >= bps * (1 - 2 ** -17), `${bps} → ${got}`);
    });
  }
});

void describe('werift router: REMB and impairment', () => {
  let source: SyntheticSource;
  let router: MediaRouter;
  const impairments = new Map<string, LinkImpairment>();
  const peers: { close(): Promise<void> }[] = [];

  before(async () => {
    source = new SyntheticSource();
    await source.start();
    router = createWeriftRouter({
      impairmentFor: (endpointId) => impairments.get(endpointId),
      impairmentSeed: 1,
    });
  });

  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await router.close();
    await source.stop();
  });

  void it('answers publishers with REMB, without transport-cc, and sends the cap as REMB', async () => {
    impairments.set('str_CAM_REMB_con_R', { ...off, rateKbps: 300 });
    const publisher = new FakePublisher(router, 'str_CAM_REMB_con_R', source);
    peers.push(publisher);
    const answer = await publisher.publish();
    assert.match(answer, /a=rtcp-fb:\d+ goog-remb/);
    assert.doesNotMatch(answer, /transport-cc|transport-wide-cc/);
    const rembs: number[] = [];
    publisher.senders.video?.onRtcp.subscribe((rtcp) => {
      if (
        rtcp instanceof RtcpPayloadSpecificFeedback &&
        rtcp.feedback instanceof ReceiverEstimatedMaxBitrate
      )
        rembs.push(Number(rtcp.feedback.bitrate));
    });
    await publisher.connected();
    await waitFor('a REMB with the cap', () => rembs.includes(300_000), 5000);
    impairments.delete('str_CAM_REMB_con_R');
    await waitFor(
      'a REMB without the cap',
      () => rembs.some((b) => b > 2_000_000 && b <= PUBLISHER_REMB_BPS),
      5000,
    );
  });

  void it('drops and delays what an impaired subscriber link carries, and recovers', async () => {
    const publisher = new FakePublisher(router, 'str_CAM_IMPR_con_P', source);
    peers.push(publisher);
    await publisher.publish();
    await publisher.connected();
    const subscriber = new FakeSubscriber(router, 'con_S<-con_P', 'str_CAM_IMPR_con_P');
    peers.push(subscriber);
    await subscriber.subscribe();
    await subscriber.connected();
    await waitFor('media at the subscriber', () => subscriber.received.audio.length > 20);
    // Everything dropped: nothing more arrives.
    impairments.set('con_S<-con_P', { ...off, lossPercent: 100 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    const before = subscriber.received.audio.length;
    let produced = 0;
    const stop = source.onPacket((kind) => {
      if (kind === 'audio') produced++;
    });
    await waitFor('25 audio packets from the source', () => produced >= 25, 5000);
    stop();
    assert.ok(subscriber.received.audio.length <= before + 2, 'packets got through a 100 % loss');
    // Cleared: media flows again.
    impairments.delete('con_S<-con_P');
    const resumed = subscriber.received.audio.length;
    await waitFor('media again', () => subscriber.received.audio.length > resumed + 20, 5000);
  });
});
