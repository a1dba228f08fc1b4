// End to end: the SDK's own `livekit` backend (src/backends/livekit.ts over the real livekit-client,
// bundled with esbuild) in two Chromium pages, then a Chromium and a Firefox ESR page, against the
// dev media server's LiveKit mode. Tokens
// are minted here with livekit-server-sdk (the token server's LiveKit path also needs the Twirp
// RoomService, which this server takes from its `services` option). Proves connect, publish,
// automatic subscribe with decoded video (both ways), a signal with its sender, and a removal.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from 'livekit-server-sdk';
import { chromium, type Browser } from 'playwright-core';
import {
  startLiveKitDevServer,
  type LiveKitDevServer,
} from '../../server/dev-media-server/livekit/server.js';
import { chromiumFlags } from '../../scripts/chromium-flags.mjs';
import { waitUntil } from './support/browser.js';
import { launchFirefox } from './support/firefox.js';
import { bundleForPage } from './support/page-bundle.js';

const ROOM = 'consult-sdk';

const PAGE_ENTRY = `
import { createLiveKitBackend } from './src/backends/livekit.ts';
const events = [];
const media = {};
let backend;
globalThis.harness = {
  events,
  async connect(url, token) {
    backend = createLiveKitBackend({ url });
    for (const name of ['connectionCreated', 'connectionDestroyed', 'streamCreated', 'streamDestroyed',
      'streamSubscribed', 'signal', 'disconnected', 'exception']) {
      backend.on(name, (detail) => {
        if (name === 'streamSubscribed') media[detail.streamId] = detail.mediaStream;
        events.push([name, name === 'streamSubscribed' ? { streamId: detail.streamId } : detail]);
      });
    }
    return (await backend.connect(token, '')).connectionId;
  },
  async publish() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    await backend.publish({ audioTrack: stream.getAudioTracks()[0], videoTrack: stream.getVideoTracks()[0], audioEnabled: true, videoEnabled: true });
  },
  async signal(type, data, to) { await backend.sendSignal(type, data, to); },
  async framesDecoded(streamId) {
    const track = media[streamId] && media[streamId].getVideoTracks()[0];
    if (!track) return 0;
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    document.body.append(video);
    await video.play().catch(() => undefined);
    const frames = await new Promise((resolve) => {
      let n = 0;
      const tick = () => { n++; if (n >= 30) resolve(n); else video.requestVideoFrameCallback(tick); };
      video.requestVideoFrameCallback(tick);
      setTimeout(() => resolve(n), 10000);
    });
    video.remove();
    return frames;
  },
};
`;

type EventList = [string, Record<string, unknown>][];
interface Harness {
  events: EventList;
  connect(url: string, token: string): Promise<string>;
  publish(): Promise<void>;
  signal(type: string, data: string, to: string[]): Promise<void>;
  framesDecoded(streamId: string): Promise<number>;
}
type Method = {
  [K in keyof Harness]: Harness[K] extends (...a: never[]) => unknown ? K : never;
}[keyof Harness];

/** One page, driven by playwright-core or puppeteer-core (both: `evaluate(fn, arg)`). */
interface SdkPage {
  call<K extends Method>(
    m: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Awaited<ReturnType<Harness[K]>>>;
  events(): Promise<EventList>;
}
const inPage = ([name, args]: [string, unknown[]]): unknown => {
  const harness = (globalThis as unknown as { harness: Record<string, unknown> }).harness;
  const value = harness[name];
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown)(...args) : value;
};
function sdkPage(page: {
  evaluate(fn: (arg: [string, unknown[]]) => unknown, arg: [string, unknown[]]): Promise<unknown>;
}): SdkPage {
  return {
    call: (m, ...args) => page.evaluate(inPage, [m, args]) as never,
    events: () => page.evaluate(inPage, ['events', []]) as Promise<EventList>,
  };
}

let server: LiveKitDevServer;
let web: Server;
let browser: Browser;
let baseUrl: string;

async function token(identity: string, room: string): Promise<string> {
  const at = new AccessToken(server.apiKey, server.apiSecret, {
    identity,
    metadata: JSON.stringify({
      userId: identity,
      displayName: identity.toUpperCase(),
      role: 'patient',
    }),
  });
  at.addGrant({ roomJoin: true, room });
  return at.toJwt();
}

async function page(): Promise<SdkPage> {
  const p = await (await browser.newContext()).newPage();
  await p.goto(baseUrl);
  await p.waitForFunction(() => 'harness' in globalThis);
  return sdkPage(p);
}

function event(
  p: SdkPage,
  name: string,
  match: (d: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  return waitUntil(
    `${name} event`,
    async () => {
      const events = await p.events();
      return events.find(([n, d]) => n === name && match(d))?.[1];
    },
    30_000,
    100,
  );
}

void describe(
  'SDK livekit backend through the dev media server (LiveKit mode)',
  { timeout: 180_000 },
  () => {
    before(async () => {
      server = await startLiveKitDevServer({ port: 0 });
      const js = await bundleForPage({ contents: PAGE_ENTRY, sourcefile: 'e2e-entry.ts' });
      web = createServer((req, res) => {
        res.setHeader('content-type', req.url === '/sdk.js' ? 'text/javascript' : 'text/html');
        res.end(
          req.url === '/sdk.js'
            ? js
            : '<!doctype html><meta charset="utf-8"><script src="/sdk.js"></script>',
        );
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
    });

    void it('connects, publishes, subscribes with decoded video, signals, and is removed', async () => {
      await call(await page(), await page(), ROOM);
    });

    void it('does the same with a Chromium and a Firefox page', async () => {
      const firefox = await launchFirefox();
      try {
        const ff = await firefox.newPage();
        await ff.goto(baseUrl);
        await ff.waitForFunction(() => 'harness' in globalThis);
        await call(await page(), sdkPage(ff), `${ROOM}-firefox`);
      } finally {
        await firefox.close();
      }
    });
  },
);

/** Both connect and publish, each decodes 30 frames of the other's video (Firefox's layer used to
 * stall after about ten), b signals a, b is removed. */
async function call(a: SdkPage, b: SdkPage, room: string): Promise<void> {
  const aId = await a.call('connect', server.wsUrl, await token('ann', room));
  await a.call('publish');
  const bId = await b.call('connect', server.wsUrl, await token('ben', room));
  assert.notEqual(aId, bId);
  await b.call('publish');

  const created = await event(b, 'connectionCreated', (d) => d['connectionId'] === aId);
  assert.match(String(created['serverData']), /"userId":"ann"/);
  for (const [viewer, from, name] of [
    [b, aId, 'ben decoded ann'],
    [a, bId, 'ann decoded ben'],
  ] as const) {
    const stream = await event(viewer, 'streamCreated', (d) => d['connectionId'] === from);
    const subscribed = await event(
      viewer,
      'streamSubscribed',
      (d) => d['streamId'] === stream['streamId'],
    );
    const frames = await viewer.call('framesDecoded', String(subscribed['streamId']));
    console.log(`${name}: ${frames} frames`);
    assert.ok(frames >= 30, `${name}: ${frames} frames`);
  }

  await b.call('signal', 'chat', 'hello ann', [aId]);
  const chat = await event(a, 'signal', (d) => d['type'] === 'chat');
  assert.equal(chat['data'], 'hello ann');
  assert.equal(chat['from'], bId);

  assert.equal(server.rooms.removeParticipant(room, 'ben'), true);
  await event(b, 'disconnected');
  await event(a, 'connectionDestroyed', (d) => d['connectionId'] === bId);
}
