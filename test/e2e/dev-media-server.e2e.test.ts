// End to end: the embedded dev media server (REST + JSON-RPC + werift SFU + ffmpeg recorder) with the
// REAL, unmodified openvidu-browser in headless Chromium (one browser, one context per participant,
// fake devices with a y4m test pattern as camera). Proves media both ways for two and three people,
// signals, mute/unmute, leave, REST eviction, WebSocket loss + reconnection, a COMPOSED recording, and
// that the server releases everything afterwards.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDevMediaServer, type DevMediaServer } from '../../server/dev-media-server/index.js';
import { launchBrowser, makeFakeCamera, waitUntil, type FakeCamera } from './support/browser.js';
import {
  OpenViduRest,
  OvParticipant,
  startHarnessSite,
  type HarnessSite,
  type InboundStats,
} from './support/openvidu-page.js';

const run = promisify(execFile);

let browser: Browser;
let site: HarnessSite;
let camera: FakeCamera;
let workDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ck-dms-e2e-'));
  camera = await makeFakeCamera(640, 480, 15, 3);
  [site, browser] = await Promise.all([
    startHarnessSite(),
    launchBrowser({ fakeVideoFile: camera.file }),
  ]);
});

after(async () => {
  await browser?.close();
  await site?.close();
  await camera?.dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** One server per describe, plus the participants a test opened (closed even when it fails). */
function useServer(name: string): {
  server: () => DevMediaServer;
  rest: () => OpenViduRest;
  join: (sessionId: string, ...names: string[]) => Promise<OvParticipant[]>;
} {
  let server: DevMediaServer | undefined;
  let rest: OpenViduRest | undefined;
  const open: OvParticipant[] = [];
  before(async () => {
    server = await startDevMediaServer({
      port: 0,
      secret: `e2e-${name}`,
      recordingsDir: join(workDir, name),
    });
    rest = new OpenViduRest(server.url, server.secret);
  });
  afterEach(async (t) => {
    for (const p of open) {
      if (p.problems.length && 'diagnostic' in t)
        t.diagnostic(`${p.name} console: ${p.problems.join(' | ')}`);
    }
    await Promise.all(open.splice(0).map((p) => p.close().catch(() => undefined)));
  });
  after(async () => {
    await server?.close();
  });
  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('server not started');
    return v;
  };
  return {
    server: () => need(server),
    rest: () => need(rest),
    join: async (sessionId, ...names) => {
      const people = await Promise.all(names.map((n) => OvParticipant.open(browser, site, n)));
      open.push(...people);
      for (const p of people) await p.connect(await need(rest).token(sessionId));
      return people;
    },
  };
}

/** Every receiver decodes frames with real dimensions and gets audio from every other publisher. */
async function expectMediaMesh(
  people: OvParticipant[],
  since?: Map<string, InboundStats>,
): Promise<Map<string, InboundStats>> {
  const out = new Map<string, InboundStats>();
  await Promise.all(
    people.flatMap((rx) =>
      people
        .filter((tx) => tx !== rx)
        .map(async (tx) => {
          const key = `${tx.name}->${rx.name}`;
          const prev = since?.get(key);
          out.set(key, await rx.waitForMedia(tx, prev ? { since: prev } : {}));
        }),
    ),
  );
  return out;
}

/** After everyone left: no participants, peer connections, sockets or sessions remain on the server. */
async function expectServerIdle(server: DevMediaServer): Promise<void> {
  const idle = await waitUntil(
    'the server to release every participant and peer connection',
    () => {
      const s = server.stats();
      return s.participants === 0 &&
        s.sessions === 0 &&
        s.sockets === 0 &&
        s.rpcSessions === 0 &&
        s.media.peerConnections === 0 &&
        s.media.publishers === 0 &&
        s.media.subscribers === 0
        ? s
        : undefined;
    },
    15_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; stats ${JSON.stringify(server.stats())}`, { cause: err });
  });
  assert.equal(idle.media.recorders, 0);
  assert.equal(idle.activeRecordings, 0);
}

/** Per subscription, ms from `streamCreated` to ICE connected / first decoded frame in the receiver. */
async function firstFrameDelays(people: OvParticipant[]): Promise<string> {
  const names = new Map(people.map((p) => [p.connectionId, p.name]));
  const out: string[] = [];
  for (const rx of people) {
    const events = await rx.events();
    for (const created of events.filter((e) => e.type === 'streamCreated')) {
      const after = (type: string): string => {
        const e = events.find((x) => x.type === type && x.streamId === created.streamId);
        return e ? String(Math.round(e.at - created.at)) : '-';
      };
      const who = `${names.get(created.connectionId ?? '') ?? '?'}->${rx.name}`;
      out.push(`${who} ice ${after('iceConnected')} frame ${after('firstFrame')}`);
    }
  }
  return out.join(', ');
}

function summary(stats: Map<string, InboundStats>): string {
  return [...stats]
    .map(
      ([k, s]) => `${k}: ${s.framesDecoded}f ${s.frameWidth}x${s.frameHeight} ${s.audioPackets}a`,
    )
    .join(', ');
}

describe(
  'dev media server with the real openvidu-browser in Chromium',
  { timeout: 120_000 },
  () => {
    const ctx = useServer('calls');

    it('two participants publish and subscribe; video decodes and audio arrives both ways; signals; leave', async (t) => {
      const server = ctx.server();
      const sessionId = await ctx.rest().createSession();
      const [a, b] = await ctx.join(sessionId, 'A', 'B');
      assert.ok(a && b);
      await Promise.all([a.publish(), b.publish()]);
      assert.match(a.streamId, /^str_CAM_/);

      const first = await expectMediaMesh([a, b]);
      // framesDecoded keeps growing over time, not just a burst at the start.
      const later = await expectMediaMesh([a, b], first);
      for (const s of later.values()) {
        assert.equal(s.iceState, 'connected');
        assert.ok(s.frameWidth >= 320 && s.frameHeight >= 240, JSON.stringify(s));
      }
      t.diagnostic(
        `first ${summary(first)}; later ${summary(later)}; ms after streamCreated: ${await firstFrameDelays([a, b])}`,
      );
      const stats = server.stats();
      assert.equal(stats.participants, 2);
      assert.equal(stats.media.publishers, 2);
      assert.equal(stats.media.subscribers, 2);

      // Signals both ways: targeted and broadcast (a broadcast reaches the sender too).
      await a.signal('ping', 'from A', [b]);
      assert.equal(
        (await b.waitForEvent('signal', { signalType: 'signal:ping' })).from,
        a.connectionId,
      );
      await b.signal('pong', 'from B', [a]);
      const pong = await a.waitForEvent('signal', { signalType: 'signal:pong' });
      assert.equal(pong.data, 'from B');
      assert.equal(pong.from, b.connectionId);
      await b.signal('all', 'everyone');
      await a.waitForEvent('signal', { signalType: 'signal:all', from: b.connectionId });
      await b.waitForEvent('signal', { signalType: 'signal:all', from: b.connectionId });

      // A leaves: B sees A's stream and connection go, with reason "disconnect".
      await a.disconnect();
      assert.equal((await a.waitForEvent('sessionDisconnected')).reason, 'disconnect');
      await b.waitForEvent('streamDestroyed', {
        connectionId: a.connectionId,
        reason: 'disconnect',
      });
      await b.waitForEvent('connectionDestroyed', {
        connectionId: a.connectionId,
        reason: 'disconnect',
      });
      await b.disconnect();
      await expectServerIdle(server);
    });

    it('three participants: full mesh media, signal to a subset, mute/unmute, leave, REST eviction', async (t) => {
      const server = ctx.server();
      const rest = ctx.rest();
      const sessionId = await rest.createSession();
      // A and B are in a call when C arrives: C learns about their streams from its joinRoom answer,
      // they learn about C's from participantJoined/participantPublished.
      const [a, b] = await ctx.join(sessionId, 'A', 'B');
      assert.ok(a && b);
      await Promise.all([a.publish(), b.publish()]);
      await expectMediaMesh([a, b]);
      const [c] = await ctx.join(sessionId, 'C');
      assert.ok(c);
      await c.waitForEvent('streamCreated', { connectionId: a.connectionId });
      await c.waitForEvent('streamCreated', { connectionId: b.connectionId });
      await c.publish();
      const mesh = await expectMediaMesh([a, b, c]);
      t.diagnostic(
        `${summary(mesh)}; ms after streamCreated: ${await firstFrameDelays([a, b, c])}`,
      );
      assert.equal(server.stats().media.subscribers, 6);

      // A signals B only; a broadcast marker sent afterwards proves C had every chance to get it.
      await a.signal('private', 'for B only', [b]);
      const got = await b.waitForEvent('signal', { signalType: 'signal:private' });
      assert.equal(got.from, a.connectionId);
      assert.equal(got.data, 'for B only');
      await a.signal('marker', 'after private');
      await c.waitForEvent('signal', { signalType: 'signal:marker' });
      await b.waitForEvent('signal', { signalType: 'signal:marker' });
      assert.deepEqual(await c.eventsOf('signal', { signalType: 'signal:private' }), []);
      assert.deepEqual(await a.eventsOf('signal', { signalType: 'signal:private' }), []);
      // And a subset of two, sent by B.
      await b.signal('pair', 'A and C', [a, c]);
      await a.waitForEvent('signal', { signalType: 'signal:pair', from: b.connectionId });
      await c.waitForEvent('signal', { signalType: 'signal:pair', from: b.connectionId });

      // Mute / unmute reaches the others as streamPropertyChanged.
      await a.publishAudio(false);
      await a.publishVideo(false);
      for (const rx of [b, c]) {
        for (const [property, reason] of [
          ['audioActive', 'publishAudio'],
          ['videoActive', 'publishVideo'],
        ] as const) {
          await rx.waitForEvent('streamPropertyChanged', {
            connectionId: a.connectionId,
            property,
            newValue: 'false',
            reason,
          });
        }
      }
      await a.publishAudio(true);
      await a.publishVideo(true);
      for (const rx of [b, c]) {
        for (const property of ['audioActive', 'videoActive']) {
          await rx.waitForEvent('streamPropertyChanged', {
            connectionId: a.connectionId,
            property,
            newValue: 'true',
          });
        }
      }
      // openvidu-browser emits A's own changes locally; the server must not echo them back to A. A's
      // broadcast sent after them comes back over the same socket, so any echo would be there by now.
      await a.signal('marker2', 'after unmute');
      await a.waitForEvent('signal', { signalType: 'signal:marker2' });
      assert.equal((await a.eventsOf('streamPropertyChanged')).length, 4);

      // C leaves.
      await c.disconnect();
      for (const rx of [a, b]) {
        await rx.waitForEvent('streamDestroyed', {
          connectionId: c.connectionId,
          reason: 'disconnect',
        });
        await rx.waitForEvent('connectionDestroyed', {
          connectionId: c.connectionId,
          reason: 'disconnect',
        });
      }
      await waitUntil('C to be gone on the server', () => server.stats().participants === 2);

      // B is evicted over REST.
      assert.equal(await rest.deleteConnection(sessionId, b.connectionId), 204);
      assert.equal((await b.waitForEvent('sessionDisconnected')).reason, 'forceDisconnectByServer');
      await a.waitForEvent('streamDestroyed', {
        connectionId: b.connectionId,
        reason: 'forceDisconnectByServer',
      });
      await a.waitForEvent('connectionDestroyed', {
        connectionId: b.connectionId,
        reason: 'forceDisconnectByServer',
      });
      await a.disconnect();
      await expectServerIdle(server);
    });

    it('a lost WebSocket reconnects and the stream keeps flowing to the other side', async (t) => {
      const server = ctx.server();
      const sessionId = await ctx.rest().createSession();
      const [a, b] = await ctx.join(sessionId, 'A', 'B');
      assert.ok(a && b);
      await Promise.all([a.publish(), b.publish()]);
      const before = await expectMediaMesh([a, b]);

      // A's network goes away and its signalling socket dies under openvidu-browser; the first
      // reconnection attempt fails (offline), openvidu-browser retries every 3 s.
      const base = server.stats();
      const started = Date.now();
      await a.context.setOffline(true);
      assert.equal(await a.dropWebSocket(), 1);
      await a.waitForEvent('reconnecting');
      await waitUntil(
        'a failed reconnection attempt',
        async () => (await a.webSocketsOpened()) >= 2,
      );
      // Media does not depend on the socket: B keeps decoding A while A is offline.
      const during = await b.waitForMedia(a, { since: before.get('A->B') });
      await waitUntil(
        'the server to see the socket gone',
        () => server.stats().sockets === base.sockets - 1,
      );
      assert.equal(
        server.stats().participants,
        base.participants,
        'A is kept during the reconnection window',
      );

      await a.context.setOffline(false);
      await a.waitForEvent('reconnected', {}, 8_000);
      const recoveredMs = Date.now() - started;
      assert.deepEqual(await b.eventsOf('connectionDestroyed'), []);
      assert.deepEqual(await a.eventsOf('sessionDisconnected'), []);

      // After recovery media keeps flowing both ways and the new socket carries notifications.
      const after = await expectMediaMesh([a, b], new Map([...before, ['A->B', during]]));
      await b.signal('back', 'welcome back', [a]);
      await a.waitForEvent('signal', { signalType: 'signal:back', from: b.connectionId });
      await a.signal('thanks', 'hi', [b]);
      await b.waitForEvent('signal', { signalType: 'signal:thanks', from: a.connectionId });
      t.diagnostic(
        `reconnected after ${recoveredMs} ms (${await a.webSocketsOpened()} sockets); ` +
          `A->B frames ${before.get('A->B')?.framesDecoded} → ${during.framesDecoded} (offline) → ` +
          `${after.get('A->B')?.framesDecoded}`,
      );

      await a.disconnect();
      await b.disconnect();
      await expectServerIdle(server);
    });

    it('Stream.reconnect() of a publisher and of a subscription renegotiates and media keeps flowing', async (t) => {
      const server = ctx.server();
      const sessionId = await ctx.rest().createSession();
      const [a, b] = await ctx.join(sessionId, 'A', 'B');
      assert.ok(a && b);
      await Promise.all([a.publish(), b.publish()]);
      const before = await expectMediaMesh([a, b]);
      const streamId = a.streamId;

      // Publisher: new peer connection and SSRCs; the server re-wires them into B's existing subscription.
      await a.reconnectPublisher();
      // Counted from the moment the old peer connection is gone.
      const reconnected = await b.inbound(a);
      const afterPublisher = await b.waitForMedia(a, { since: reconnected });
      assert.equal(server.stats().media.peerConnections, 4);
      assert.deepEqual(await b.eventsOf('streamDestroyed'), []);

      // Subscription: B renegotiates its subscription to A (a fresh peer connection, counters from 0).
      await b.reconnectSubscription(a);
      const afterSubscriber = await b.waitForMedia(a);
      assert.equal(server.stats().media.peerConnections, 4);
      assert.equal(server.stats().media.subscribers, 2);
      assert.equal(a.streamId, streamId);
      t.diagnostic(
        `A->B frames ${before.get('A->B')?.framesDecoded} → ${reconnected.framesDecoded} → ` +
          `${afterPublisher.framesDecoded} after publisher reconnect; ` +
          `${afterSubscriber.framesDecoded} on the new subscription`,
      );
      await a.disconnect();
      await b.disconnect();
      await expectServerIdle(server);
    });
  },
);

interface Probe {
  format: { duration: string };
  streams: { codec_type: string }[];
}

describe(
  'dev media server COMPOSED recording of a real two-person call',
  { timeout: 90_000 },
  () => {
    const ctx = useServer('recording');

    it('records ~4 s into one MP4 with one video and one audio stream and the measured duration', async (t) => {
      const server = ctx.server();
      const rest = ctx.rest();
      const sessionId = await rest.createSession();
      const [a, b] = await ctx.join(sessionId, 'A', 'B');
      assert.ok(a && b);
      await Promise.all([a.publish(), b.publish()]);
      await expectMediaMesh([a, b]);

      const startedAt = Date.now();
      const started = await rest.json('POST', '/openvidu/api/recordings/start', {
        session: sessionId,
        outputMode: 'COMPOSED',
      });
      const startReturned = Date.now();
      const id = String(started['id']);
      assert.equal(started['status'], 'started');
      await a.waitForEvent('recordingStarted', { name: id });
      await b.waitForEvent('recordingStarted', { name: id });
      // The recording runs for a measured ~4 s of wall clock (this wait is the thing being measured).
      await new Promise((r) => setTimeout(r, 4_000 - (Date.now() - startReturned)));
      const stopping = Date.now();
      const stopped = await rest.json('POST', `/openvidu/api/recordings/stop/${id}`);
      const stoppedAt = Date.now();
      assert.equal(stopped['status'], 'stopped');
      await a.waitForEvent('recordingStopped', { name: id, reason: 'recordingStoppedByServer' });
      // Wall clock between the start request and the stop answer, give or take the request times.
      const wallSeconds = (stoppedAt - startedAt) / 1000;
      const wallUncertainty = (startReturned - startedAt + (stoppedAt - stopping)) / 1000;

      const ready = await waitUntil(
        'the recording to be ready',
        async () => {
          const r = await rest.json('GET', `/openvidu/api/recordings/${id}`);
          if (r['status'] === 'failed') throw new Error(`recording failed: ${JSON.stringify(r)}`);
          return r['status'] === 'ready' ? r : undefined;
        },
        60_000,
        200,
      );
      const url = String(ready['url']);
      assert.match(url, new RegExp(`/openvidu/recordings/${id}/[^/]+\\.mp4$`));

      const unauthorized = await fetch(url);
      await unauthorized.body?.cancel();
      assert.equal(unauthorized.status, 401);
      const res = await fetch(url, { headers: { authorization: rest.authorization } });
      assert.equal(res.status, 200);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(bytes.length, Number(ready['size']));
      const file = join(workDir, `${id}.mp4`);
      await writeFile(file, bytes);

      const { stdout } = await run(process.env['FFPROBE_PATH'] || 'ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format=duration:stream=codec_type',
        '-of',
        'json',
        file,
      ]);
      const probe = JSON.parse(stdout) as Probe;
      const kinds = probe.streams.map((s) => s.codec_type).sort();
      assert.deepEqual(kinds, ['audio', 'video'], `streams ${JSON.stringify(kinds)}`);
      const duration = Number(probe.format.duration);
      const error = duration - wallSeconds;
      t.diagnostic(
        `mp4 ${bytes.length} B, ${duration.toFixed(3)} s for ${wallSeconds.toFixed(3)} s wall ` +
          `(±${wallUncertainty.toFixed(3)} s request time): error ${error.toFixed(3)} s; ` +
          `REST duration ${String(ready['duration'])}`,
      );
      assert.ok(Math.abs(error) <= 1, `mp4 lasts ${duration} s, recorded for ${wallSeconds} s`);
      // It cannot be longer than the time between sending start and receiving the stop answer (plus
      // one audio/video frame): capture must end within the stop request.
      assert.ok(duration <= wallSeconds + 0.25, `mp4 ${duration} s outlasts ${wallSeconds} s`);

      await a.disconnect();
      await b.disconnect();
      await expectServerIdle(server);
    });
  },
);
