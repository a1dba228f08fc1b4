/**
 * join-to-first-frame-livekit: the LiveKit row of join-to-first-frame. How long a second participant
 * waits for the first remote video frame when joining a room through the dev media server's LiveKit
 * mode, with the real livekit-client, against the same direct browser-to-browser loopback.
 *
 * - Through the dev server: participant A (livekit-client in Chromium, fake camera 640x480, the
 *   client's default publish options, simulcast included) already publishes. B's page is loaded and
 *   its access token minted beforehand; the clock starts at B's `room.connect(url, token)` and stops
 *   at the first frame presented by the `<video>` its video track is attached to. In between: the
 *   signalling WebSocket and JoinResponse, the subscriber peer connection's offer from the server,
 *   ICE + DTLS, the keyframe the server requests from A, decode.
 * - Baseline, same browser, same run: bench/lib/first-frame.ts's two-peer-connection loopback.
 *
 * Repetitions alternate the two, each in a fresh browser context, after one untimed warm-up of
 * each, and through-server joins are spaced ≥ 1.5 s apart (the server's keyframe limiter).
 */
import { AccessToken } from 'livekit-server-sdk';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDevMediaServer } from '../server/dev-media-server/index.js';
import type { LiveKitDevServer } from '../server/dev-media-server/index.js';
import { bundlePage, launchChromium, servePage, type PageServer } from './lib/browser.js';
import {
  directLoopback,
  FIRST_FRAME_PAGE_JS,
  medianSteps,
  type FirstFrameTiming,
} from './lib/first-frame.js';
import { check, commandFor, log, max, median, min, report, round, sleep } from './lib/report.js';

const ID = 'join-to-first-frame-livekit';
const REPETITIONS = Number(process.env['BENCH_REPETITIONS'] ?? 7);
const FIRST_FRAME_TIMEOUT_MS = 15_000;
const KEYFRAME_SPACING_MS = 1_500;
const DEADLINE_MS = 240_000;
const ROOM = 'bench-first-frame';

const STEPS = [
  ['connectedMs', 'connect resolved'],
  ['trackSubscribedMs', 'track subscribed'],
  ['firstRtpMs', 'first video RTP'],
  ['firstFrameMs', 'first frame'],
] as const;

// Page side: livekit-client plus the shared first-frame clock and loopback baseline.
const PAGE_ENTRY = `
import { Room, RoomEvent, Track } from 'livekit-client';
${FIRST_FRAME_PAGE_JS}
let publisherRoom;
globalThis.bench = {
  ...loopbackBench,
  async publish(url, token) {
    publisherRoom = new Room({ videoCaptureDefaults: { resolution: { width: 640, height: 480, frameRate: 30 } } });
    await publisherRoom.connect(url, token);
    await publisherRoom.localParticipant.enableCameraAndMicrophone();
  },
  async join(url, token, timeoutMs) {
    const room = new Room();
    globalThis.joined = room;
    const marks = {};
    let t0 = 0;
    const mark = (name) => { if (marks[name] === undefined) marks[name] = performance.now() - t0; };
    const frame = new Promise((resolve, reject) => {
      room.on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind !== Track.Kind.Video) return;
        mark('trackSubscribedMs');
        const video = document.createElement('video');
        video.muted = true;
        video.autoplay = true;
        video.playsInline = true;
        document.body.append(video);
        track.attach(video);
        if (!track.mediaStreamTrack.muted) mark('firstRtpMs');
        else track.mediaStreamTrack.addEventListener('unmute', () => mark('firstRtpMs'), { once: true });
        firstFrame(video, t0, timeoutMs, () => marks).then(resolve, reject);
      });
    });
    t0 = performance.now();
    await room.connect(url, token);
    mark('connectedMs');
    return frame;
  },
};
`;

interface PageApi {
  publish(url: string, token: string): Promise<void>;
  join(url: string, token: string, timeoutMs: number): Promise<FirstFrameTiming>;
}
type Bench = { bench: PageApi };

async function mint(server: LiveKitDevServer, identity: string): Promise<string> {
  const at = new AccessToken(server.apiKey, server.apiSecret, { identity, name: identity });
  at.addGrant({ roomJoin: true, room: ROOM, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const js = await bundlePage(PAGE_ENTRY);
  let server: LiveKitDevServer | undefined;
  let site: PageServer | undefined;
  let browser: Browser | undefined;
  const sfu: FirstFrameTiming[] = [];
  const loop: FirstFrameTiming[] = [];
  try {
    const quiet = (): void => undefined;
    server = await startDevMediaServer({
      protocol: 'livekit',
      port: 0,
      logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
    const dev = server;
    site = await servePage(js);
    const pageUrl = site.url;
    browser = await launchChromium();
    const chrome = browser;
    const openPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
      const context = await chrome.newContext();
      const page = await context.newPage();
      await page.goto(pageUrl);
      await page.waitForFunction(() => 'bench' in globalThis);
      return { context, page };
    };

    const publisher = await openPage();
    const publisherToken = await mint(dev, 'A');
    await publisher.page.evaluate(
      ([url, token]) => (globalThis as unknown as Bench).bench.publish(url!, token!),
      [dev.wsUrl, publisherToken],
    );
    log(`${ID}: A publishes in room ${ROOM}`);

    let lastJoin = 0;
    let joins = 0;
    const throughServer = async (): Promise<FirstFrameTiming> => {
      const wait = lastJoin + KEYFRAME_SPACING_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const token = await mint(dev, `B${++joins}`);
      const { context, page } = await openPage();
      try {
        return await page.evaluate(
          ([url, t, ms]) =>
            (globalThis as unknown as Bench).bench.join(url as string, t as string, ms as number),
          [dev.wsUrl, token, FIRST_FRAME_TIMEOUT_MS] as const,
        );
      } finally {
        lastJoin = performance.now();
        await context.close();
      }
    };
    const direct = (): Promise<FirstFrameTiming> =>
      directLoopback(openPage, FIRST_FRAME_TIMEOUT_MS);

    await throughServer();
    await direct();
    for (let i = 0; i < REPETITIONS; i++) {
      const order = i % 2 === 0 ? ['server', 'direct'] : ['direct', 'server'];
      for (const which of order) {
        const t = which === 'server' ? await throughServer() : await direct();
        (which === 'server' ? sfu : loop).push(t);
        log(
          `${ID}: #${i + 1} ${which.padEnd(6)} first frame ${t.firstFrameMs.toFixed(0)} ms (${t.width}x${t.height})${which === 'server' ? ` — ${medianSteps([t], STEPS)}` : ''}`,
        );
      }
    }
    check(dev.stats().forwardedPackets > 0, 'the dev server forwarded no packets');
  } finally {
    await browser?.close();
    await site?.close();
    await server?.close();
  }

  const sfuMs = sfu.map((t) => t.firstFrameMs);
  const loopMs = loop.map((t) => t.firstFrameMs);
  check(
    sfu.every((t) => t.width > 0 && t.height > 0),
    'a subscriber frame had no size',
  );
  const figure = median(sfuMs);
  const baseline = median(loopMs);
  const sizes = [...new Set(sfu.map((t) => `${t.width}x${t.height}`))].join(', ');
  report({
    id: ID,
    title:
      'Second participant: room.connect → first decoded remote frame, via the dev server (LiveKit mode, livekit-client)',
    figure: round(figure),
    unit: 'ms (median)',
    baseline: round(baseline),
    baselineUnit: 'ms (median)',
    baselineLabel: 'direct two-RTCPeerConnection loopback, same browser, first remote frame',
    ratio: round(figure / baseline),
    lowerIsBetter: true,
    command: commandFor(ID),
    reading:
      'the LiveKit-mode twin of join-to-first-frame: how many times longer a joining livekit-client participant waits for video through the dev server than two peer connections in one page. Compare it with the OpenVidu row of the same run: both go through the same werift SFU; the signalling differs (LiveKit: JoinResponse, then a server-initiated subscriber offer; OpenVidu: joinRoom, then a client-initiated subscribe).',
    notes:
      `${REPETITIONS} interleaved repetitions each after 1 warm-up; via server min–max ${min(sfuMs).toFixed(0)}–${max(sfuMs).toFixed(0)} ms ` +
      `(medians: ${medianSteps(sfu, STEPS)}; first frames ${sizes}); ` +
      `loopback min–max ${min(loopMs).toFixed(0)}–${max(loopMs).toFixed(0)} ms; Chromium fake camera 640x480, A publishes audio+video with livekit-client's defaults (simulcast), B auto-subscribes; joins ≥ ${KEYFRAME_SPACING_MS / 1000} s apart`,
  });
  clearTimeout(deadline);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
