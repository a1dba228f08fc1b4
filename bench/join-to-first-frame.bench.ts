/**
 * join-to-first-frame: how long a second participant waits for the first remote video frame when
 * joining a call through the dev media server, against a direct browser-to-browser loopback.
 *
 * - Through the dev server: participant A (real openvidu-browser in Chromium, fake camera) is already
 *   publishing. B's page is loaded and its token fetched over REST beforehand; the clock starts at B's
 *   `session.connect(token)` call and stops at the first frame presented by the subscriber's `<video>`
 *   (`requestVideoFrameCallback`). In between: WebSocket, joinRoom, streamCreated, subscribe (SDP offer →
 *   werift answer), ICE + DTLS, the keyframe the server requests from A, decode.
 * - Baseline, same browser, same run: two `RTCPeerConnection`s in one fresh page, camera already open;
 *   the clock starts when the peer connections are created and stops at the first remote frame.
 *
 * Each of the N repetitions runs both, in alternating order, each in a fresh browser context; one
 * untimed warm-up of each comes first. Through-server repetitions are spaced ≥ 1.5 s apart because the
 * server coalesces keyframe requests to one per second per publisher: a join right after another join
 * would wait for that limiter, which is not what a real second participant sees.
 *
 * A second row (`join-to-first-frame/livekit`, bench/lib/livekit-join.ts) times the same join on the
 * dev server's LiveKit mode with livekit-client, in the same browser, against the same loopback
 * baseline median.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDevMediaServer } from '../server/dev-media-server/index.js';
import type { DevMediaServer } from '../server/dev-media-server/index.js';
import { check, commandFor, log, max, median, min, report, round, sleep } from './lib/report.js';
import { createSession, createToken } from './lib/werift-participant.js';
import { bundlePage, launchChromium, servePage, type PageServer } from './lib/browser.js';
import { liveKitJoins, type LiveKitJoin } from './lib/livekit-join.js';

const ID = 'join-to-first-frame';
const REPETITIONS = Number(process.env['BENCH_REPETITIONS'] ?? 7);
const FIRST_FRAME_TIMEOUT_MS = 15_000;
const KEYFRAME_SPACING_MS = 1_500;
/** Under the runner's 300 s: a loaded shared machine makes each join several times slower. */
const DEADLINE_MS = 240_000;

/** What one timed run returns (ms from the start of the clock). */
interface Timing {
  firstFrameMs: number;
  width: number;
  height: number;
  /** Through the server only: `session.connect` resolved, and `streamCreated` for A's stream. */
  connectedMs?: number;
  streamCreatedMs?: number;
  /** Subscription negotiated (the server's SDP answer applied). */
  answeredMs?: number;
  /** The subscriber's ICE connected, then its DTLS transport (peer connection `connected`). */
  iceConnectedMs?: number;
  pcConnectedMs?: number;
  /** First video RTP packet received (the remote track unmutes). */
  firstRtpMs?: number;
  /** Server side: the werift answer's own duration (offer in → answer out), from its debug log. */
  serverAnswerMs?: number;
}

interface PageApi {
  publish(token: string): Promise<void>;
  join(token: string, timeoutMs: number): Promise<Timing>;
  openCamera(): Promise<void>;
  loopback(timeoutMs: number): Promise<Timing>;
}

// Page side. Plain JS bundled by esbuild together with openvidu-browser (CommonJS → IIFE).
const PAGE_ENTRY = `
import { OpenVidu } from 'openvidu-browser';

function firstFrame(video, t0, timeoutMs, extra) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no remote frame within ' + timeoutMs + ' ms')), timeoutMs);
    video.requestVideoFrameCallback((_now, meta) => {
      clearTimeout(timer);
      resolve({ firstFrameMs: performance.now() - t0, width: meta.width, height: meta.height, ...extra() });
    });
  });
}

let publisherSession;
let camera;

globalThis.bench = {
  async publish(token) {
    const OV = new OpenVidu();
    OV.enableProdMode();
    publisherSession = OV.initSession();
    await publisherSession.connect(token, 'A');
    const publisher = await OV.initPublisherAsync(undefined, {
      publishAudio: true, publishVideo: true, resolution: '640x480', frameRate: 30, mirror: false,
    });
    await publisherSession.publish(publisher);
  },

  async join(token, timeoutMs) {
    const OV = new OpenVidu();
    OV.enableProdMode();
    const session = OV.initSession();
    const container = document.createElement('div');
    document.body.append(container);
    const marks = {};
    let t0 = 0;
    const frame = new Promise((resolve, reject) => {
      session.on('streamCreated', (event) => {
        marks.streamCreatedMs = performance.now() - t0;
        const subscriber = session.subscribe(event.stream, container, (error) => {
          if (error) return reject(error);
          marks.answeredMs = performance.now() - t0;
          const pc = subscriber.stream.getRTCPeerConnection();
          const mark = (name) => { if (marks[name] === undefined) marks[name] = performance.now() - t0; };
          const connected = () => {
            if (['connected', 'completed'].includes(pc.iceConnectionState)) mark('iceConnectedMs');
            if (pc.connectionState === 'connected') mark('pcConnectedMs');
          };
          connected();
          pc.addEventListener('iceconnectionstatechange', connected);
          pc.addEventListener('connectionstatechange', connected);
          const video = pc.getReceivers().find((r) => r.track.kind === 'video');
          if (video && !video.track.muted) mark('firstRtpMs');
          else video?.track.addEventListener('unmute', () => mark('firstRtpMs'), { once: true });
        });
        subscriber.on('videoElementCreated', (e) => {
          e.element.muted = true;
          firstFrame(e.element, t0, timeoutMs, () => marks).then(resolve, reject);
        });
      });
    });
    globalThis.joined = session;
    t0 = performance.now();
    await session.connect(token, 'B');
    marks.connectedMs = performance.now() - t0;
    return frame;
  },

  async openCamera() {
    camera = await navigator.mediaDevices.getUserMedia({
      audio: true, video: { width: 640, height: 480, frameRate: 30 },
    });
  },

  async loopback(timeoutMs) {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.append(video);
    const t0 = performance.now();
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    globalThis.pcs = [a, b];
    a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate); };
    b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
    b.ontrack = (e) => { if (e.track.kind === 'video') video.srcObject = e.streams[0]; };
    for (const track of camera.getTracks()) a.addTrack(track, camera);
    const frame = firstFrame(video, t0, timeoutMs, () => ({}));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    return frame;
  },
};
`;

/** Median milestones of through-server runs: where the time goes. */
function breakdown(runs: Timing[]): string {
  // A step whose event was missed (e.g. the frame came before the connection-state event) is left out.
  const at = (pick: (t: Timing) => number | undefined): string =>
    median(
      runs.map(pick).filter((ms): ms is number => ms !== undefined && Number.isFinite(ms)),
    ).toFixed(0);
  return (
    `connect resolved ${at((t) => t.connectedMs)} ms, streamCreated ${at((t) => t.streamCreatedMs)}, ` +
    `subscribe answered ${at((t) => t.answeredMs)} (server answer ${at((t) => t.serverAnswerMs)}), ` +
    `ICE connected ${at((t) => t.iceConnectedMs)}, DTLS connected ${at((t) => t.pcConnectedMs)}, ` +
    `first video RTP ${at((t) => t.firstRtpMs)}, first frame ${at((t) => t.firstFrameMs)}`
  );
}

/** Typed wrappers around the page's `bench` global. */
function api(page: Page): PageApi {
  type Bench = { bench: PageApi };
  return {
    publish: (token) =>
      page.evaluate(([t]) => (globalThis as unknown as Bench).bench.publish(t as string), [token]),
    join: (token, timeoutMs) =>
      page.evaluate(
        ([t, ms]) => (globalThis as unknown as Bench).bench.join(t as string, ms as number),
        [token, timeoutMs] as const,
      ),
    openCamera: () => page.evaluate(() => (globalThis as unknown as Bench).bench.openCamera()),
    loopback: (timeoutMs) =>
      page.evaluate(
        ([ms]) => (globalThis as unknown as Bench).bench.loopback(ms as number),
        [timeoutMs],
      ),
  };
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const js = await bundlePage(PAGE_ENTRY);

  let server: DevMediaServer | undefined;
  let web: PageServer | undefined;
  let browser: Browser | undefined;
  const sfu: Timing[] = [];
  const loop: Timing[] = [];
  const liveKit: LiveKitJoin[] = [];
  try {
    // The router's debug line 'subscriber answered' carries the server's own answer time.
    const answerTimes: number[] = [];
    const quiet = (): void => undefined;
    server = await startDevMediaServer({
      port: 0,
      recording: false,
      logger: {
        debug: (msg, fields) => {
          const ms = fields?.['ms'];
          if (msg === 'subscriber answered' && typeof ms === 'number') answerTimes.push(ms);
        },
        info: quiet,
        warn: quiet,
        error: quiet,
      },
    });
    const dev = server;
    web = await servePage(js);
    const pageUrl = web.url;
    browser = await launchChromium();
    const chrome = browser;

    const openPage = async (): Promise<{ context: BrowserContext; page: PageApi }> => {
      const context = await chrome.newContext();
      const page = await context.newPage();
      await page.goto(pageUrl);
      await page.waitForFunction(() => 'bench' in globalThis);
      return { context, page: api(page) };
    };

    const sessionId = await createSession(dev.url, dev.secret);
    const publisher = await openPage();
    await publisher.page.publish(await createToken(dev.url, dev.secret, sessionId));
    log(`${ID}: A publishes in session ${sessionId}`);

    let lastJoin = 0;
    const throughServer = async (): Promise<Timing> => {
      const wait = lastJoin + KEYFRAME_SPACING_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const token = await createToken(dev.url, dev.secret, sessionId);
      const { context, page } = await openPage();
      try {
        const timing = await page.join(token, FIRST_FRAME_TIMEOUT_MS);
        return { ...timing, serverAnswerMs: answerTimes.at(-1) };
      } finally {
        lastJoin = performance.now();
        await context.close();
      }
    };
    const direct = async (): Promise<Timing> => {
      const { context, page } = await openPage();
      try {
        await page.openCamera();
        return await page.loopback(FIRST_FRAME_TIMEOUT_MS);
      } finally {
        await context.close();
      }
    };

    // Warm-up (untimed): first use of each path in this browser and server.
    await throughServer();
    await direct();
    for (let i = 0; i < REPETITIONS; i++) {
      const order = i % 2 === 0 ? ['server', 'direct'] : ['direct', 'server'];
      for (const which of order) {
        const t = which === 'server' ? await throughServer() : await direct();
        (which === 'server' ? sfu : loop).push(t);
        log(
          `${ID}: #${i + 1} ${which.padEnd(6)} first frame ${t.firstFrameMs.toFixed(0)} ms (${t.width}x${t.height})${t.connectedMs !== undefined ? ` — ${breakdown([t])}` : ''}`,
        );
      }
    }
    const stats = dev.stats();
    check(stats.media.forwardedPackets > 0, 'the dev server forwarded no packets');

    const lk = await liveKitJoins(
      chrome,
      REPETITIONS,
      FIRST_FRAME_TIMEOUT_MS,
      KEYFRAME_SPACING_MS,
      (i, t) =>
        log(
          `${ID}: #${i} livekit first frame ${t.firstFrameMs.toFixed(0)} ms (${t.width}x${t.height}) — connect resolved ${t.connectedMs?.toFixed(0)} ms, track subscribed ${t.subscribedMs?.toFixed(0)}`,
        ),
    );
    check(lk.forwardedPackets > 0, 'the LiveKit mode forwarded no packets');
    liveKit.push(...lk.joins);
  } finally {
    await browser?.close();
    await web?.close();
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
    title: 'Second participant: session.connect → first decoded remote frame, via the dev server',
    figure: round(figure),
    unit: 'ms (median)',
    baseline: round(baseline),
    baselineUnit: 'ms (median)',
    baselineLabel: 'direct two-RTCPeerConnection loopback, same browser, first remote frame',
    ratio: round(figure / baseline),
    lowerIsBetter: true,
    command: commandFor(ID),
    reading:
      'how many times longer a joining participant waits for video through the dev server than two peer connections in one page wait for theirs (the floor for WebRTC in this browser). The through-server path adds signalling round trips, a werift answer, a second ICE/DTLS handshake and a keyframe request to A; goal ≤ 1.5. A jump means a slower step (see the medians per step in the notes).',
    notes:
      `${REPETITIONS} interleaved repetitions each after 1 warm-up; via server min–max ${min(sfuMs).toFixed(0)}–${max(sfuMs).toFixed(0)} ms ` +
      `(medians: ${breakdown(sfu)}; first frames ${sizes}); ` +
      `loopback min–max ${min(loopMs).toFixed(0)}–${max(loopMs).toFixed(0)} ms; Chromium fake camera 640x480, A publishes audio+video, B subscribes to both; joins ≥ ${KEYFRAME_SPACING_MS / 1000} s apart (server keyframe limiter)`,
  });
  reportLiveKit(liveKit, baseline, min(loopMs), max(loopMs));
  clearTimeout(deadline);
}

/** The LiveKit row: same join, same browser, ratio against the OpenVidu row's loopback median. */
function reportLiveKit(
  runs: LiveKitJoin[],
  baseline: number,
  loopMin: number,
  loopMax: number,
): void {
  const ms = runs.map((t) => t.firstFrameMs);
  check(
    runs.every((t) => t.width > 0 && t.height > 0),
    'a LiveKit subscriber frame had no size',
  );
  const figure = median(ms);
  const at = (pick: (t: LiveKitJoin) => number | undefined): string =>
    median(runs.map(pick).filter((v): v is number => v !== undefined)).toFixed(0);
  report({
    id: `${ID}/livekit`,
    title:
      'Second participant: room.connect → first decoded remote frame, via the dev server (LiveKit mode)',
    figure: round(figure),
    unit: 'ms (median)',
    baseline: round(baseline),
    baselineUnit: 'ms (median)',
    baselineLabel:
      'direct two-RTCPeerConnection loopback, same browser, first remote frame (same run)',
    ratio: round(figure / baseline),
    lowerIsBetter: true,
    command: commandFor(ID),
    reading:
      'the same join as the OpenVidu row through the LiveKit signalling of the same werift SFU (livekit-client 2.22, the v0 path after /rtc/v1 is refused): how many times longer than the loopback floor; compare with the OpenVidu row of the same run.',
    notes:
      `${runs.length} repetitions after 1 warm-up, after the OpenVidu row's; min–max ${min(ms).toFixed(0)}–${max(ms).toFixed(0)} ms ` +
      `(medians: connect resolved ${at((t) => t.connectedMs)} ms, camera track subscribed ${at((t) => t.subscribedMs)}); ` +
      `loopback min–max ${loopMin.toFixed(0)}–${loopMax.toFixed(0)} ms; Chromium fake camera, A publishes camera+microphone, B subscribes to both; joins ≥ ${KEYFRAME_SPACING_MS / 1000} s apart`,
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
