// End to end: the dev media server's LiveKit mode with the real livekit-client in two Chromium pages
// (fake camera and microphone): join, publish, each sees the other's video frames advance, a data
// packet with a topic arrives with its sender's identity, token metadata is visible, a mute reaches
// the other side, and a participant removed through the room registry sees Disconnected. Then a
// Chromium and a Firefox ESR page (Firefox's simulcast offer lists its layers' SSRCs as well as their
// rids): video frames and audio both ways, and a data packet each way. Last, a participant whose
// signalling socket drops resumes (same sid, ICE restarted both ways) without the other side seeing
// it leave, and media and data flow again.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createJsonLogger } from '../../server/dev-media-server/logger.js';
import type { LiveKitRoomEvent } from '../../server/dev-media-server/livekit/contract.js';
import {
  startLiveKitDevServer,
  type LiveKitDevServer,
} from '../../server/dev-media-server/livekit/server.js';
import { chromiumFlags } from '../../scripts/chromium-flags.mjs';
import { waitUntil } from './support/browser.js';
import { launchFirefox } from './support/firefox.js';
import { bundleLiveKitPage, harnessPage, type HarnessPage } from './support/livekit-page.js';

const ROOM = 'consult-e2e';

let server: LiveKitDevServer;
let web: Server;
let browser: Browser;
let baseUrl: string;
let recordingsDir: string;
const events: LiveKitRoomEvent[] = [];

interface Harness {
  events: [string, unknown][];
  frames: Record<string, number>;
  received: { text: string; identity: string | null; topic: string | null }[];
  join(url: string, token: string): Promise<{ sid: string; others: string[] }>;
  publish(): Promise<void>;
  muteMic(muted: boolean): Promise<void>;
  send(text: string, topic: string, destinationIdentities?: string[]): Promise<void>;
  metadataOf(identity: string): string | undefined;
  state(): string;
}
type H = { harness: Harness };

async function token(identity: string, metadata: string, room = ROOM): Promise<string> {
  const at = new AccessToken(server.apiKey, server.apiSecret, {
    identity,
    name: identity,
    metadata,
  });
  at.addGrant({
    roomJoin: true,
    room,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
  });
  return at.toJwt();
}

async function page(): Promise<Page> {
  const p = await browser.newPage();
  p.on('pageerror', (error) => console.error('page error:', error.message));
  if (process.env['LK_E2E_LOG'])
    p.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        console.error(`page ${m.type()}: ${m.text()}`);
    });
  await p.goto(baseUrl);
  await p.waitForFunction(() => 'harness' in globalThis);
  return p;
}

/** A harness page in a Firefox of its own (BiDi); `close` ends that Firefox. */
async function firefoxHarness(): Promise<{ harness: HarnessPage; close(): Promise<void> }> {
  const firefox = await launchFirefox();
  try {
    const ffPage = await firefox.newPage();
    ffPage.on('pageerror', (error: unknown) =>
      console.error('firefox page error:', error instanceof Error ? error.message : error),
    );
    await ffPage.goto(baseUrl);
    await ffPage.waitForFunction(() => 'harness' in globalThis);
    assert.match(await ffPage.evaluate(() => navigator.userAgent), /Firefox\//);
    return { harness: harnessPage(ffPage), close: () => firefox.close() };
  } catch (error) {
    await firefox.close();
    throw error;
  }
}

const framesOf = (p: Page, identity: string): Promise<number> =>
  p.evaluate((id) => (globalThis as unknown as H).harness.frames[id] ?? 0, identity);

describe(
  'dev media server, LiveKit mode, with livekit-client in Chromium and Firefox',
  { timeout: 240_000 },
  () => {
    before(async () => {
      recordingsDir = await mkdtemp(join(tmpdir(), 'ck-lk-rec-'));
      server = await startLiveKitDevServer({
        port: 0,
        events: { emit: (e) => events.push(e) },
        ...(process.env['LK_E2E_LOG']
          ? {
              logger: createJsonLogger(
                process.env['LK_E2E_LOG'] === 'debug' ? 'debug' : 'info',
                (line) => console.error(line),
              ),
            }
          : {}),
      });
      const js = await bundleLiveKitPage();
      web = createServer((req, res) => {
        if (req.url === '/lk.js') {
          res.setHeader('content-type', 'text/javascript');
          res.end(js);
        } else {
          res.setHeader('content-type', 'text/html');
          res.end(
            '<!doctype html><meta charset="utf-8"><body><script src="/lk.js"></script></body>',
          );
        }
      });
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://localhost:${(web.address() as AddressInfo).port}/`;
      browser = await chromium.launch({
        executablePath: process.env['CHROME_PATH'] || '/usr/bin/chromium',
        args: chromiumFlags(),
      });
    });

    after(async () => {
      await browser?.close();
      await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
      await server?.close();
      // werift's writers may still append for a moment after the server closed: retry on ENOTEMPTY.
      if (recordingsDir)
        await rm(recordingsDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    });

    it('two participants exchange video, data and metadata; a removed one sees Disconnected', async () => {
      const a = await page();
      const b = await page();
      const startedAt = Date.now();
      const joinedA = await a.evaluate(
        ([url, t]) => (globalThis as unknown as H).harness.join(url!, t!),
        [server.wsUrl, await token('alice', '{"role":"provider"}')],
      );
      const joinMs = Date.now() - startedAt;
      assert.match(joinedA.sid, /^PA_/);
      await a.evaluate(() => (globalThis as unknown as H).harness.publish());
      const joinedB = await b.evaluate(
        ([url, t]) => (globalThis as unknown as H).harness.join(url!, t!),
        [server.wsUrl, await token('bob', '{"role":"patient"}')],
      );
      assert.deepEqual(joinedB.others, ['alice']);
      await b.evaluate(() => (globalThis as unknown as H).harness.publish());

      // Each sees the other's video frames advance.
      const firstA = await waitUntil(
        'alice sees bob video frames',
        async () => (await framesOf(a, 'bob')) >= 10 && framesOf(a, 'bob'),
        20_000,
      );
      const firstB = await waitUntil(
        'bob sees alice video frames',
        async () => (await framesOf(b, 'alice')) >= 10 && framesOf(b, 'alice'),
        20_000,
      );
      await waitUntil(
        'frames keep advancing',
        async () => {
          const [ab, ba] = [await framesOf(a, 'bob'), await framesOf(b, 'alice')];
          console.log(
            `frames alice<-bob ${ab}, bob<-alice ${ba}; forwarded ${server.stats().forwardedPackets}`,
          );
          return ab > firstA + 5 && ba > firstB + 5;
        },
        20_000,
        1000,
      );
      console.log(
        `join ${joinMs} ms; frames alice<-bob ${await framesOf(a, 'bob')}, bob<-alice ${await framesOf(b, 'alice')}; forwarded ${server.stats().forwardedPackets} packets`,
      );

      // Token metadata is visible to the other side.
      assert.equal(
        await b.evaluate(() => (globalThis as unknown as H).harness.metadataOf('alice')),
        '{"role":"provider"}',
      );
      assert.equal(
        await a.evaluate(() => (globalThis as unknown as H).harness.metadataOf('bob')),
        '{"role":"patient"}',
      );

      // A data packet with a topic arrives with its sender's identity.
      await b.evaluate(() => (globalThis as unknown as H).harness.send('hello alice', 'chat'));
      const got = await waitUntil('alice receives the data packet', () =>
        a.evaluate(() => (globalThis as unknown as H).harness.received[0]),
      );
      assert.deepEqual(got, { text: 'hello alice', identity: 'bob', topic: 'chat' });

      // A mute reaches the other side.
      await b.evaluate(() => (globalThis as unknown as H).harness.muteMic(true));
      await waitUntil('alice sees bob muted', () =>
        a.evaluate(() =>
          (globalThis as unknown as H).harness.events.some(
            ([n, d]) => n === 'trackMuted' && d === 'bob:audio',
          ),
        ),
      );

      // recordRoom: both participants' audio and video into one composed MP4 through the shared recorder.
      // (the folder is removed after the server closed: the writers may append until then)
      const dir = recordingsDir;
      const recording = await server.rooms.recordRoom(ROOM, {
        recordingId: 'rec-1',
        dir,
        name: 'consult',
      });
      assert.ok(recording);
      assert.equal(server.rooms.listRooms([ROOM])[0]?.activeRecording, true);
      const from = await framesOf(a, 'bob');
      await waitUntil(
        'media flows while recording',
        async () => (await framesOf(a, 'bob')) > from + 30,
        30_000,
        250,
      );
      const result = await recording.stop();
      console.log(`recording: ${result.fileName} ${result.size} bytes, ${result.duration} s`);
      assert.equal(result.fileName, 'consult.mp4');
      assert.ok(result.size > 10_000, `size ${result.size}`);
      assert.ok(result.duration > 1, `duration ${result.duration}`);
      assert.ok((await stat(join(dir, 'consult.mp4'))).size === result.size);
      assert.equal(
        await server.rooms.recordRoom('no-such-room', { recordingId: 'x', dir, name: 'x' }),
        undefined,
      );

      // Removal through the registry: bob sees Disconnected (PARTICIPANT_REMOVED = 4 in livekit-client), alice sees him go.
      assert.equal(server.rooms.removeParticipant(ROOM, 'bob'), true);
      const reason = await waitUntil('bob disconnected', () =>
        b.evaluate(
          () =>
            (globalThis as unknown as H).harness.events.find(([n]) => n === 'disconnected')?.[1],
        ),
      );
      assert.equal(reason, 4);
      await waitUntil('alice sees bob leave', () =>
        a.evaluate(() =>
          (globalThis as unknown as H).harness.events.some(
            ([n, d]) => n === 'participantDisconnected' && d === 'bob',
          ),
        ),
      );
      assert.deepEqual(
        server.rooms.listParticipants(ROOM)?.map((p) => p.identity),
        ['alice'],
      );

      const names = events.map((e) => e.event);
      assert.equal(names[0], 'room_started');
      assert.equal(names.filter((n) => n === 'participant_joined').length, 2);
      assert.equal(names.filter((n) => n === 'track_published').length, 4);
      assert.ok(names.includes('participant_left'));
    });

    it('a Chromium and a Firefox participant exchange video, audio and data both ways', async () => {
      const firefox = await firefoxHarness();
      try {
        const chrome = harnessPage(await page());
        const fox = firefox.harness;
        const room = 'consult-e2e-firefox';
        await chrome.call('join', server.wsUrl, await token('carol', '{}', room));
        await chrome.call('publish');
        const joined = await fox.call('join', server.wsUrl, await token('fred', '{}', room));
        assert.deepEqual(joined.others, ['carol']);
        await fox.call('publish');

        const frames = (p: HarnessPage, id: string) => p.read('frames').then((f) => f[id] ?? 0);
        // Both directions keep advancing (Firefox's layer used to stall after ~10 frames).
        const [c0, f0] = await waitUntil(
          'video frames both ways',
          async () => {
            const [c, f] = [await frames(chrome, 'fred'), await frames(fox, 'carol')];
            return c >= 10 && f >= 10 && ([c, f] as const);
          },
          30_000,
          250,
        );
        await waitUntil(
          'video frames keep advancing both ways',
          async () =>
            (await frames(chrome, 'fred')) > c0 + 30 && (await frames(fox, 'carol')) > f0 + 30,
          30_000,
          250,
        );
        const audio0 = [
          await chrome.call('audioPackets', 'fred'),
          await fox.call('audioPackets', 'carol'),
        ];
        await waitUntil(
          'audio packets both ways',
          async () =>
            (await chrome.call('audioPackets', 'fred')) > audio0[0]! + 50 &&
            (await fox.call('audioPackets', 'carol')) > audio0[1]! + 50,
          20_000,
          250,
        );
        console.log(
          `chromium<-firefox ${await frames(chrome, 'fred')} frames, ${await chrome.call('audioPackets', 'fred')} audio packets; ` +
            `firefox<-chromium ${await frames(fox, 'carol')} frames, ${await fox.call('audioPackets', 'carol')} audio packets`,
        );

        await fox.call('send', 'hello from firefox', 'chat');
        await chrome.call('send', 'hello from chromium', 'chat');
        assert.deepEqual(
          await waitUntil('chromium receives the data packet', () =>
            chrome.read('received').then((r) => r[0]),
          ),
          { text: 'hello from firefox', identity: 'fred', topic: 'chat' },
        );
        assert.deepEqual(
          await waitUntil('firefox receives the data packet', () =>
            fox.read('received').then((r) => r[0]),
          ),
          { text: 'hello from chromium', identity: 'carol', topic: 'chat' },
        );
        await fox.call('leave');
        await chrome.call('leave');
      } finally {
        await firefox.close();
      }
    });

    // failNext: reconnection attempts that fail at once before one gets through (a network still
    // down): each reached the server, which resumed the participant and offered an ICE restart on
    // a socket already gone. The one who drops runs in Chromium or Firefox (whose host candidates
    // are mDNS names: the server reaches it only through the checks it sends).
    for (const [failNext, engine] of [
      [0, 'chromium'],
      [2, 'chromium'],
      [2, 'firefox'],
    ] as const)
      it(`a participant (${engine}) whose signal socket drops resumes with its sid after ${failNext} failed attempts; media and data flow again`, async () => {
        const firefox = engine === 'firefox' ? await firefoxHarness() : undefined;
        try {
          const dora = firefox?.harness ?? harnessPage(await page());
          const eve = harnessPage(await page());
          const room = `consult-e2e-resume-${failNext}-${engine}`;
          await dora.call('join', server.wsUrl, await token('dora', '{}', room));
          await dora.call('publish');
          await eve.call('join', server.wsUrl, await token('eve', '{}', room));
          await eve.call('publish');
          const frames = (p: HarnessPage, id: string) => p.read('frames').then((f) => f[id] ?? 0);
          await waitUntil(
            'video frames both ways',
            async () => (await frames(dora, 'eve')) >= 10 && (await frames(eve, 'dora')) >= 10,
            30_000,
            250,
          );
          const sid = await dora.call('sid');
          const ufrags = await dora.call('remoteUfrags');
          assert.equal(ufrags.length, 2, 'publisher and subscriber');

          assert.equal(await dora.call('cutSignal', failNext), 1);
          await waitUntil(
            'dora resumes',
            () => dora.read('events').then((e) => e.some(([n]) => n === 'reconnected')),
            30_000,
            250,
          );
          const doraEvents = (await dora.read('events')).map(([n]) => n);
          assert.ok(doraEvents.includes('signalReconnecting'), doraEvents.join());
          assert.ok(!doraEvents.includes('disconnected'), doraEvents.join());
          assert.equal(await dora.call('sid'), sid);
          assert.deepEqual(
            server.rooms.listParticipants(room)?.map((p) => [p.identity, p.sid]),
            [
              ['dora', sid],
              ['eve', await eve.call('sid')],
            ],
          );

          // Media flows again both ways over ICE restarted on both peer connections.
          await waitUntil(
            'new ICE credentials on both peer connections',
            async () => {
              const now = await dora.call('remoteUfrags');
              return now.length === 2 && now.every((u, i) => u !== ufrags[i]);
            },
            10_000,
            100,
          );
          const [d0, e0] = [await frames(dora, 'eve'), await frames(eve, 'dora')];
          // One direction at a time, so a failure says which one stalled.
          await waitUntil(
            "dora's subscriber: eve's video frames advance after the resume",
            async () => (await frames(dora, 'eve')) > d0 + 30,
            30_000,
            250,
          );
          await waitUntil(
            "dora's publisher: eve sees dora's video frames advance after the resume",
            async () => (await frames(eve, 'dora')) > e0 + 30,
            30_000,
            250,
          );
          await dora.call('send', 'back again', 'chat');
          await eve.call('send', 'welcome back', 'chat');
          assert.deepEqual(
            await waitUntil("eve receives dora's packet", () =>
              eve.read('received').then((r) => r[0]),
            ),
            { text: 'back again', identity: 'dora', topic: 'chat' },
          );
          assert.deepEqual(
            await waitUntil("dora receives eve's packet", () =>
              dora.read('received').then((r) => r[0]),
            ),
            { text: 'welcome back', identity: 'eve', topic: 'chat' },
          );

          // The other side never saw dora leave or come back; the server saw one join.
          const eveEvents = await eve.read('events');
          assert.deepEqual(
            eveEvents.filter(([n, d]) => n.startsWith('participant') && d === 'dora'),
            [],
          );
          assert.equal(
            events.filter(
              (e) =>
                e.event === 'participant_joined' &&
                e.room?.name === room &&
                e.participant?.identity === 'dora',
            ).length,
            1,
          );
          await dora.call('leave');
          await eve.call('leave');
        } finally {
          await firefox?.close();
        }
      });
  },
);
