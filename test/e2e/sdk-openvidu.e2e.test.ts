// End to end: the OpenVidu adapter (bundled with esbuild, real openvidu-browser) in two Chromium pages
// with fake devices, through the dev media server (werift media plane). Proves connect, publish,
// automatic subscribe with decoded video, signals, and the screen-share track swap.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDevMediaServer, type DevMediaServer } from '../../server/dev-media-server/index.js';
import { chromiumFlags } from '../../scripts/chromium-flags.mjs';
import { bundleForPage } from './support/page-bundle.js';

const FLAGS = chromiumFlags({ cameras: 2 });

// The page side: a global `harness` driving one backend and recording its events.
const PAGE_ENTRY = `
import { createOpenViduBackend } from './src/backends/openvidu.ts';
const events = [];
const media = {};
let backend;
globalThis.harness = {
  events,
  async connect(token, clientData) {
    backend = createOpenViduBackend();
    for (const name of ['connectionCreated', 'connectionDestroyed', 'streamCreated', 'streamDestroyed',
      'streamSubscribed', 'streamPropertyChanged', 'signal', 'disconnected', 'exception']) {
      backend.on(name, (detail) => {
        if (name === 'streamSubscribed') media[detail.streamId] = detail.mediaStream;
        events.push([name, name === 'streamSubscribed' ? { streamId: detail.streamId, tracks: detail.mediaStream.getTracks().map((t) => t.kind) } : detail]);
      });
    }
    return (await backend.connect(token, clientData)).connectionId;
  },
  async publish() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    globalThis.local = stream;
    await backend.publish({ audioTrack: stream.getAudioTracks()[0], videoTrack: stream.getVideoTracks()[0], audioEnabled: true, videoEnabled: true });
  },
  async shareScreen() {
    const other = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: (await navigator.mediaDevices.enumerateDevices()).find((d) => d.label === 'fake_device_1').deviceId } } });
    globalThis.screenTrack = other.getVideoTracks()[0];
    await backend.publishScreen(globalThis.screenTrack);
  },
  async stopScreen() { await backend.unpublishScreen(); },
  async signal(type, data, to) { await backend.sendSignal(type, data, to); },
  localTracksLive() { return globalThis.local.getTracks().every((t) => t.readyState === 'live'); },
  async stats(id) { return backend.getStats(id); },
  async framesDecoded(streamId) {
    const stream = media[streamId];
    const track = stream && stream.getVideoTracks()[0];
    if (!track) return 0;
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    document.body.append(video);
    await video.play().catch(() => undefined);
    const frames = await new Promise((resolve) => {
      let n = 0;
      const tick = () => { n++; if (n >= 5) resolve(n); else video.requestVideoFrameCallback(tick); };
      video.requestVideoFrameCallback(tick);
      setTimeout(() => resolve(n), 4000);
    });
    const size = [video.videoWidth, video.videoHeight];
    video.remove();
    return { frames, size };
  },
  async disconnect() { await backend.disconnect(); },
};
`;

let server: DevMediaServer;
let web: Server;
let browser: Browser;
let baseUrl: string;

async function rest(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/openvidu/api${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${server.secret}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path} → ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

async function token(sessionId: string, serverData: object): Promise<string> {
  const connection = await rest(`/sessions/${sessionId}/connection`, {
    data: JSON.stringify(serverData),
  });
  return String(connection['token']);
}

async function page(): Promise<Page> {
  const context = await browser.newContext();
  const p = await context.newPage();
  await p.goto(baseUrl);
  await p.waitForFunction(() => 'harness' in globalThis);
  return p;
}

type EventList = [string, Record<string, unknown>][];
async function waitForEvent(
  p: Page,
  name: string,
  match: (d: Record<string, unknown>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await p.evaluate(
      () => (globalThis as unknown as { harness: { events: unknown } }).harness.events,
    )) as EventList;
    const hit = events.find(([n, d]) => n === name && match(d));
    if (hit) return hit[1];
    if (Date.now() > deadline)
      throw new Error(
        `no ${name} event within ${timeoutMs} ms; got ${JSON.stringify(events.map(([n]) => n))}`,
      );
    await p.waitForTimeout(50);
  }
}

describe('SDK OpenVidu adapter through the dev media server', { timeout: 90_000 }, () => {
  before(async () => {
    server = await startDevMediaServer({ port: 0, recording: false });
    const js = await bundleForPage({ contents: PAGE_ENTRY, sourcefile: 'e2e-entry.ts' });
    web = createServer((req, res) => {
      if (req.url === '/sdk.js') {
        res.setHeader('content-type', 'text/javascript');
        res.end(js);
      } else {
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><meta charset="utf-8"><script src="/sdk.js"></script>');
      }
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://localhost:${(web.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: process.env['CHROME_PATH'] || '/usr/bin/chromium',
      args: FLAGS,
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
    await server?.close();
  });

  it('connects, publishes, subscribes with decoded video, signals and shares the screen', async () => {
    const session = await rest('/sessions', {});
    const sessionId = String(session['id']);
    const a = await page();
    const b = await page();

    const aId = await a.evaluate(
      ([t]) =>
        (
          globalThis as unknown as { harness: { connect(t: string, c: string): Promise<string> } }
        ).harness.connect(t!, '{"c":"A"}'),
      [await token(sessionId, { userId: 'u-a', displayName: 'A', role: 'provider' })],
    );
    await a.evaluate(() =>
      (globalThis as unknown as { harness: { publish(): Promise<void> } }).harness.publish(),
    );
    const bId = await b.evaluate(
      ([t]) =>
        (
          globalThis as unknown as { harness: { connect(t: string, c: string): Promise<string> } }
        ).harness.connect(t!, '{"c":"B"}'),
      [await token(sessionId, { userId: 'u-b', displayName: 'B', role: 'patient' })],
    );
    assert.match(aId, /^con_/);
    assert.notEqual(aId, bId);

    // B learns about A (with A's client and server data split) and A's stream, and receives media.
    const created = await waitForEvent(b, 'connectionCreated', (d) => d['connectionId'] === aId);
    assert.equal(created['clientData'], '{"c":"A"}');
    assert.deepEqual(JSON.parse(String(created['serverData'])), {
      userId: 'u-a',
      displayName: 'A',
      role: 'provider',
    });
    const stream = await waitForEvent(b, 'streamCreated', (d) => d['connectionId'] === aId);
    assert.equal(stream['kind'], 'camera');
    const subscribed = await waitForEvent(
      b,
      'streamSubscribed',
      (d) => d['streamId'] === stream['streamId'],
    );
    assert.deepEqual([...(subscribed['tracks'] as string[])].sort(), ['audio', 'video']);
    const decoded = (await b.evaluate(
      (id) =>
        (
          globalThis as unknown as { harness: { framesDecoded(id: string): Promise<unknown> } }
        ).harness.framesDecoded(id),
      String(stream['streamId']),
    )) as { frames: number; size: number[] };
    assert.ok(decoded.frames >= 5, `decoded ${decoded.frames} frames`);
    assert.ok((decoded.size[0] ?? 0) > 0, 'video has a size');

    // A sees B join.
    await waitForEvent(a, 'connectionCreated', (d) => d['connectionId'] === bId);

    // Signals, prefix stripped, sender known.
    await b.evaluate(
      ([to]) =>
        (
          globalThis as unknown as {
            harness: { signal(t: string, d: string, to: string[]): Promise<void> };
          }
        ).harness.signal('chat', 'hello A', [to!]),
      [aId],
    );
    const chat = await waitForEvent(a, 'signal', (d) => d['type'] === 'chat');
    assert.deepEqual(chat, { type: 'chat', data: 'hello A', from: bId });

    // Stats of the subscription and of the publisher.
    const stats = (await b.evaluate(
      (id) =>
        (
          globalThis as unknown as { harness: { stats(id: string): Promise<unknown> } }
        ).harness.stats(id),
      aId,
    )) as { packetsReceived: number; bytes: number };
    assert.ok(stats.packetsReceived > 0 && stats.bytes > 0, JSON.stringify(stats));

    // Screen share: same stream, video swapped, presented to B as a separate screen stream.
    await a.evaluate(() =>
      (
        globalThis as unknown as { harness: { shareScreen(): Promise<void> } }
      ).harness.shareScreen(),
    );
    const screen = await waitForEvent(b, 'streamCreated', (d) => d['kind'] === 'screen');
    assert.equal(screen['streamId'], `${String(stream['streamId'])}#screen`);
    await waitForEvent(b, 'streamSubscribed', (d) => d['streamId'] === screen['streamId']);
    await a.evaluate(() =>
      (globalThis as unknown as { harness: { stopScreen(): Promise<void> } }).harness.stopScreen(),
    );
    await waitForEvent(b, 'streamDestroyed', (d) => d['streamId'] === screen['streamId']);
    assert.equal(
      await a.evaluate(() =>
        (
          globalThis as unknown as { harness: { localTracksLive(): boolean } }
        ).harness.localTracksLive(),
      ),
      true,
      'the adapter never stops the caller tracks',
    );

    // A leaves: B sees the stream and the connection go.
    await a.evaluate(() =>
      (globalThis as unknown as { harness: { disconnect(): Promise<void> } }).harness.disconnect(),
    );
    await waitForEvent(b, 'streamDestroyed', (d) => d['streamId'] === stream['streamId']);
    await waitForEvent(b, 'connectionDestroyed', (d) => d['connectionId'] === aId);
    assert.deepEqual(await waitForEvent(a, 'disconnected'), { reason: 'disconnect' });
    await b.evaluate(() =>
      (globalThis as unknown as { harness: { disconnect(): Promise<void> } }).harness.disconnect(),
    );
  });
});
