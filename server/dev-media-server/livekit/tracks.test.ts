/**
 * A LiveKit subscription's first picture: the key frame asked for when the down track is created
 * and held until the subscriber can receive it (answered and DTLS up).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrackInfo, TrackType } from '@livekit/protocol';
import { MediaStreamTrack, RtpHeader, RtpPacket } from 'werift';
import type { RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from 'werift';
import { silentLogger } from '../logger.js';
import { isVp8KeyframeStart } from '../media/keyframe.js';
import { vp8Payload } from '../media/test-support.js';
import { DownTrack, PublishedTrack } from './tracks.js';

const SSRC = 1111;

/** A publisher's video track fed by hand, its PLIs counted, and one down track of it. */
function subscription(): {
  frame(kind: 'key' | 'delta', packets: number): number[];
  plis(): number;
  received: { sequenceNumber: number; keyframeStart: boolean }[];
  down: DownTrack;
  link: { dtls: string; negotiated: boolean };
} {
  let plis = 0;
  const receiver = {
    sendRtcpPLI: () => {
      plis++;
      return Promise.resolve();
    },
  } as unknown as RTCRtpReceiver;
  const info = new TrackInfo({ sid: 'TR_cam', type: TrackType.VIDEO });
  const published = new PublishedTrack(
    info,
    'video',
    {} as RTCRtpTransceiver,
    silentLogger,
    () => undefined,
  );
  const source = new MediaStreamTrack({ kind: 'video', rid: 'q', ssrc: SSRC });
  published.attach(source, receiver);
  let sequenceNumber = 500;
  let pictureId = 0;
  const frame = (kind: 'key' | 'delta', packets: number): number[] => {
    const sent: number[] = [];
    pictureId++;
    for (let i = 0; i < packets; i++) {
      const header = new RtpHeader({
        payloadType: 96,
        sequenceNumber,
        timestamp: pictureId * 3000,
        ssrc: SSRC,
        marker: i === packets - 1,
      });
      sent.push(sequenceNumber++);
      source.writeRtp(
        new RtpPacket(header, vp8Payload({ start: i === 0, key: kind === 'key', pictureId })),
      );
    }
    return sent;
  };
  // The first key frame the publisher sent, before anyone subscribed.
  frame('key', 2);

  const link = { dtls: 'new', negotiated: false };
  const noRtcp = { subscribe: () => ({ unSubscribe: () => undefined }) };
  const sender = {
    ssrc: 2222,
    onRtcp: noRtcp,
    replaceRTP: () => undefined,
    get dtlsTransport() {
      return { state: link.dtls };
    },
  } as unknown as RTCRtpSender;
  const out = new MediaStreamTrack({ kind: 'video' });
  const received: { sequenceNumber: number; keyframeStart: boolean }[] = [];
  out.onReceiveRtp.subscribe((rtp) => {
    received.push({
      sequenceNumber: rtp.header.sequenceNumber,
      keyframeStart: isVp8KeyframeStart(rtp.payload),
    });
  });
  const down = new DownTrack(
    published,
    out,
    sender,
    { onRtcp: noRtcp } as unknown as RTCRtpReceiver,
    silentLogger,
    () => link.negotiated,
    () => undefined,
  );
  return { frame, plis: () => plis, received, down, link };
}

void describe('LiveKit down track', () => {
  void it('asks the publisher for a key frame when the subscription is created', () => {
    const s = subscription();
    assert.equal(s.plis(), 1);
  });

  void it('holds the picture that arrives before the subscriber can receive, and sends it first, in order, without a second request', () => {
    const s = subscription();
    const held = [...s.frame('key', 3), ...s.frame('delta', 2)];
    assert.equal(s.received.length, 0, 'nothing sent before the answer and DTLS');

    // Answered and connected: the next packet finds the way open.
    s.link.dtls = 'connected';
    s.link.negotiated = true;
    const next = s.frame('delta', 1);
    assert.deepEqual(
      s.received.map((p) => p.sequenceNumber),
      [...held, ...next],
      'the held key frame and delta frame, then the next packet, nothing missing',
    );
    assert.equal(s.received[0]?.keyframeStart, true, 'the first packet starts a key frame');
    assert.equal(s.plis(), 1, 'no second key frame asked for');
  });

  void it('sends the held picture as soon as the answer is applied on a connected transport', () => {
    const s = subscription();
    const held = s.frame('key', 2);
    s.link.dtls = 'connected';
    s.down.start();
    assert.equal(s.received.length, 0, 'nothing sent before the answer');
    s.link.negotiated = true;
    s.down.start();
    assert.deepEqual(
      s.received.map((p) => p.sequenceNumber),
      held,
    );
  });
});
