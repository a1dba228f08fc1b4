import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from './ffmpeg.js';
import { createWeriftRouter } from './werift-router.js';
import {
  FakePublisher,
  FakeSubscriber,
  MARKER_EXTENSION,
  readZip,
  SyntheticSource,
  waitFor,
} from './test-support.js';
import type { MediaRouter } from './types.js';

/** openvidu-browser's JSON-RPC request timeout; answers must come back well under it. */
const RPC_TIMEOUT_MS = 10_000;

let source: SyntheticSource;

before(async () => {
  source = new SyntheticSource();
  await source.start();
});

after(async () => {
  await source.stop();
});

function hasMarker(extensions: { id: number; payload: Buffer }[]): boolean {
  return extensions.some((e) => e.payload.equals(MARKER_EXTENSION.payload));
}

void describe('werift router: forwarding', () => {
  let router: MediaRouter;
  const peers: { close(): Promise<void> }[] = [];

  before(() => {
    router = createWeriftRouter();
  });

  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await router.close();
  });

  void it('forwards VP8 and Opus to a subscriber with its own SSRCs and without the publisher header extensions', async () => {
    const publisher = new FakePublisher(router, 'str_CAM_AAAA_con_A', source);
    peers.push(publisher);
    const answer = await publisher.publish();
    assert.match(answer, /a=recvonly/);
    assert.match(answer, /VP8\/90000/);
    assert.doesNotMatch(answer, /H264|VP9|AV1/);
    assert.match(answer, /a=candidate:/, 'answer carries the server host candidates');
    await publisher.connected();

    const subscriber = new FakeSubscriber(router, 'con_B<-con_A', 'str_CAM_AAAA_con_A');
    peers.push(subscriber);
    const subAnswer = await subscriber.subscribe();
    assert.match(subAnswer, /a=sendonly/);
    await subscriber.connected();
    await waitFor(
      'video and audio at the subscriber',
      () => subscriber.received.video.length > 20 && subscriber.received.audio.length > 20,
    );

    for (const kind of ['video', 'audio'] as const) {
      const packets = subscriber.received[kind];
      assert.ok(
        packets.every((p) => !hasMarker(p.extensions)),
        `${kind}: publisher header extension leaked`,
      );
      const ssrcs = new Set(packets.map((p) => p.ssrc));
      assert.equal(ssrcs.size, 1, `${kind}: one SSRC`);
      const publisherSsrc = publisher.senders[kind]?.ssrc;
      assert.ok(
        !ssrcs.has(publisherSsrc ?? -1),
        `${kind}: SSRC is rewritten to the subscriber sender's own`,
      );
    }
    assert.ok(router.stats().forwardedPackets > 40);
    console.log(
      `answer latency: publish ${publisher.answerMs.toFixed(0)} ms, subscribe ${subscriber.answerMs.toFixed(0)} ms`,
    );
    assert.ok(publisher.answerMs < RPC_TIMEOUT_MS / 2 && subscriber.answerMs < RPC_TIMEOUT_MS / 2);
  });
});

void describe('werift router: keyframes, ICE buffering, republish, release', () => {
  let router: MediaRouter;
  const peers: { close(): Promise<void> }[] = [];

  before(() => {
    router = createWeriftRouter();
  });

  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await router.close();
  });

  void it('applies candidates that arrived before the endpoint and ignores end-of-candidates', async () => {
    // The publisher ignores the server's candidates, so only the server's checks towards the buffered
    // browser candidates can bring ICE up: connecting proves the buffered candidates were applied.
    const publisher = new FakePublisher(router, 'str_CAM_ICE_con_I', source, ['video', 'audio'], {
      holdCandidates: true,
      ignoreServerCandidates: true,
    });
    peers.push(publisher);
    router.addIceCandidate('str_CAM_ICE_con_I', { candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
    assert.equal(router.stats().pendingCandidates, 0, 'empty end-of-candidates is not buffered');
    const offer = await publisher.prepareOffer();
    await waitFor('client candidates', () => publisher.localCandidates.length > 0);
    publisher.flushCandidates();
    assert.ok(
      (router.stats().pendingCandidates ?? 0) > 0,
      'candidates are buffered before the endpoint exists',
    );
    await publisher.sendOffer(offer);
    assert.equal(
      router.stats().pendingCandidates,
      0,
      'buffered candidates are flushed into the new endpoint',
    );
    router.addIceCandidate('str_CAM_ICE_con_I', { candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
    await publisher.connected();
  });

  void it('sends a PLI upstream when a second subscriber connects, and rate-limits relayed PLIs', async () => {
    const publisher = new FakePublisher(router, 'str_CAM_PLI_con_P', source);
    peers.push(publisher);
    await publisher.publish();
    await publisher.connected();

    const first = new FakeSubscriber(router, 'con_1<-con_P', 'str_CAM_PLI_con_P');
    peers.push(first);
    await first.subscribe();
    await first.connected();
    await waitFor('first subscriber PLI upstream', () => publisher.plisReceived >= 1);
    await waitFor('video at first subscriber', () => first.received.video.length > 5);

    const before = publisher.plisReceived;
    const second = new FakeSubscriber(router, 'con_2<-con_P', 'str_CAM_PLI_con_P');
    peers.push(second);
    await second.subscribe();
    await second.connected();
    await waitFor('second subscriber PLI upstream', () => publisher.plisReceived > before, 5_000);
    await waitFor('video at second subscriber', () => second.received.video.length > 5);

    // A storm of 30 subscriber PLIs within ~1 s becomes at most 2 upstream PLIs (one now, one trailing).
    const beforeStorm = publisher.plisReceived;
    const stormStart = Date.now();
    await second.sendPlis(30);
    await waitFor('relayed PLI', () => publisher.plisReceived > beforeStorm, 3_000);
    const stormMs = Date.now() - stormStart;
    await waitFor('trailing PLI window over', () => Date.now() - stormStart > 1_200 + stormMs);
    const relayed = publisher.plisReceived - beforeStorm;
    assert.ok(
      relayed >= 1 && relayed <= 2,
      `30 subscriber PLIs relayed as ${relayed} upstream PLIs`,
    );
  });

  void it('republish keeps the stream id and keeps existing subscribers receiving with continuous seq/timestamps', async () => {
    const streamId = 'str_CAM_REP_con_R';
    const publisher = new FakePublisher(router, streamId, source);
    peers.push(publisher);
    await publisher.publish();
    await publisher.connected();
    const subscriber = new FakeSubscriber(router, 'con_S<-con_R', streamId);
    peers.push(subscriber);
    await subscriber.subscribe();
    await subscriber.connected();
    await waitFor('video before republish', () => subscriber.received.video.length > 10);

    const replacement = new FakePublisher(router, streamId, source);
    peers.push(replacement);
    const plisBefore = replacement.plisReceived;
    await replacement.publish('republish');
    const switchIndex = {
      video: subscriber.received.video.length,
      audio: subscriber.received.audio.length,
    };
    await publisher.close();
    await replacement.connected();
    await waitFor(
      'media after republish',
      () =>
        subscriber.received.video.length > switchIndex.video + 20 &&
        subscriber.received.audio.length > switchIndex.audio + 20,
    );
    await waitFor('PLI to the new publisher', () => replacement.plisReceived > plisBefore, 3_000);
    assert.equal(
      router.stats().publishers,
      3,
      'republish reuses the entry (3 = the streams of this suite)',
    );

    for (const kind of ['video', 'audio'] as const) {
      const packets = subscriber.received[kind];
      assert.equal(
        new Set(packets.map((p) => p.ssrc)).size,
        1,
        `${kind}: same SSRC across the switch`,
      );
      // Sequence numbers never jump across the switch (allow reordering/loss of a few packets).
      for (let i = 1; i < packets.length; i++) {
        const prev = packets[i - 1];
        const cur = packets[i];
        if (!prev || !cur) continue;
        const gap = (cur.sequenceNumber - prev.sequenceNumber + 0x10000) % 0x10000;
        assert.ok(gap < 50 || gap > 0x10000 - 50, `${kind}: seq jump of ${gap} at packet ${i}`);
      }
    }
  });

  void it('release brings every counter back to zero', async () => {
    for (const streamId of ['str_CAM_ICE_con_I', 'str_CAM_PLI_con_P', 'str_CAM_REP_con_R'])
      router.release(streamId);
    for (const endpointId of ['con_1<-con_P', 'con_2<-con_P', 'con_S<-con_R'])
      router.release(endpointId);
    const stats = router.stats();
    assert.deepEqual(
      {
        pcs: stats.peerConnections,
        pubs: stats.publishers,
        subs: stats.subscribers,
        recs: stats.recorders,
        pending: stats.pendingCandidates,
      },
      { pcs: 0, pubs: 0, subs: 0, recs: 0, pending: 0 },
    );
  });
});

async function ffprobeStreams(
  file: string,
): Promise<{ streams: { codec_type: string; codec_name: string }[]; duration: number }> {
  const { stdout } = await run(
    process.env.FFPROBE_PATH ?? 'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name:format=duration',
      '-of',
      'json',
      file,
    ],
    15_000,
  );
  const parsed = JSON.parse(stdout) as {
    streams: { codec_type: string; codec_name: string }[];
    format: { duration: string };
  };
  return { streams: parsed.streams, duration: Number.parseFloat(parsed.format.duration) };
}

void describe('werift router: recording', () => {
  let router: MediaRouter;
  let dir: string;
  const peers: { close(): Promise<void> }[] = [];

  before(async () => {
    router = createWeriftRouter();
    dir = await mkdtemp(join(tmpdir(), 'consultkit-rec-'));
    const a = new FakePublisher(router, 'str_CAM_RECA_con_A', source);
    peers.push(a);
    await a.publish();
    await a.connected();
  });

  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await router.close();
    await rm(dir, { recursive: true, force: true });
  });

  void it('COMPOSED: A/V + late video-only + audio-only publishers → one MP4 with h264 + aac, duration = wall ± 1 s, and a jpg', async () => {
    const wallStart = Date.now();
    const recording = await router.startRecording({
      recordingId: 'ses_REC',
      dir,
      name: 'composed',
      outputMode: 'COMPOSED',
      hasAudio: true,
      hasVideo: true,
      resolution: '640x360',
      frameRate: 15,
      streamIds: ['str_CAM_RECA_con_A'],
    });
    assert.equal(router.stats().recorders, 1);
    const c = new FakePublisher(router, 'str_MIC_RECC_con_C', source, ['audio']);
    peers.push(c);
    await c.publish();
    recording.addStream('str_MIC_RECC_con_C');
    await waitFor('B joins ~1 s late', () => Date.now() - wallStart >= 1_000, 3_000);
    const b = new FakePublisher(router, 'str_CAM_RECB_con_B', source, ['video']);
    peers.push(b);
    await b.publish();
    recording.addStream('str_CAM_RECB_con_B');
    await b.connected();
    await waitFor('~3 s of recording', () => Date.now() - wallStart >= 3_000, 5_000);
    const wall = (Date.now() - wallStart) / 1000;
    const result = await recording.stop();
    assert.equal(result.fileName, 'composed.mp4');
    assert.equal(router.stats().recorders, 0);
    const probe = await ffprobeStreams(join(dir, result.fileName));
    assert.deepEqual(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), [
      'audio:aac',
      'video:h264',
    ]);
    console.log(
      `COMPOSED: wall ${wall.toFixed(3)} s, mp4 ${probe.duration.toFixed(3)} s, error ${(probe.duration - wall).toFixed(3)} s`,
    );
    assert.ok(Math.abs(probe.duration - wall) < 1, `duration ${probe.duration} vs wall ${wall}`);
    assert.ok(result.size > 1000);
    assert.ok((await stat(join(dir, 'composed.jpg'))).size > 0, 'thumbnail');
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ['composed.jpg', 'composed.mp4'],
      'temporary parts are removed',
    );
  });

  void it('INDIVIDUAL: a zip with one WebM per stream and the JSON index', async () => {
    const recording = await router.startRecording({
      recordingId: 'ses_IND',
      dir,
      name: 'individual',
      outputMode: 'INDIVIDUAL',
      hasAudio: true,
      hasVideo: true,
      resolution: '1280x720',
      frameRate: 25,
      streamIds: ['str_CAM_RECA_con_A', 'str_CAM_RECB_con_B'],
      streamMetadata: { str_CAM_RECA_con_A: { clientData: 'doctor' } },
    });
    const started = Date.now();
    await waitFor('~2 s of recording', () => Date.now() - started >= 2_000, 4_000);
    const result = await recording.stop();
    assert.equal(result.fileName, 'individual.zip');
    const entries = readZip(await readFile(join(dir, result.fileName)));
    assert.deepEqual([...entries.keys()].sort(), [
      'individual.json',
      'str_CAM_RECA_con_A.webm',
      'str_CAM_RECB_con_B.webm',
    ]);
    const index = JSON.parse(entries.get('individual.json')?.toString() ?? '{}') as {
      id: string;
      name: string;
      sessionId: string;
      files: {
        name: string;
        connectionId: string;
        streamId: string;
        size: number;
        clientData: string;
        hasAudio: boolean;
        hasVideo: boolean;
        startTimeOffset: number;
        endTimeOffset: number;
      }[];
    };
    assert.equal(index.id, 'ses_IND');
    assert.equal(index.sessionId, 'ses_IND');
    const a = index.files.find((f) => f.streamId === 'str_CAM_RECA_con_A');
    assert.ok(a);
    assert.equal(a.connectionId, 'con_A');
    assert.equal(a.clientData, 'doctor');
    assert.equal(a.size, entries.get('str_CAM_RECA_con_A.webm')?.length);
    assert.ok(a.hasAudio && a.hasVideo && a.endTimeOffset > a.startTimeOffset);
    const b = index.files.find((f) => f.streamId === 'str_CAM_RECB_con_B');
    assert.ok(b && b.hasVideo && !b.hasAudio, 'video-only stream is indexed as such');
    const webm = join(dir, 'a.webm');
    await writeFile(webm, entries.get('str_CAM_RECA_con_A.webm') ?? Buffer.alloc(0));
    const probe = await ffprobeStreams(webm);
    assert.deepEqual(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), [
      'audio:opus',
      'video:vp8',
    ]);
    await rm(webm);
  });

  void it('leaves nothing behind once participants leave', async () => {
    router.release('str_CAM_RECA_con_A');
    router.release('str_CAM_RECB_con_B');
    router.release('str_MIC_RECC_con_C');
    const stats = router.stats();
    assert.deepEqual(
      [stats.peerConnections, stats.publishers, stats.subscribers, stats.recorders],
      [0, 0, 0, 0],
    );
  });
});
