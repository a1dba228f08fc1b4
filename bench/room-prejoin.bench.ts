/**
 * room-prejoin: how soon `<consult-room>` shows its pre-join screen, and its camera preview, after
 * it is attached, against a plain `<video>` playing a raw `getUserMedia` stream in the same browser.
 *
 * - Figure: `<consult-room consult-id>` with `.fetchToken` stubbed (never called: pre-join needs no
 *   server) builds its own session through the real SDK path (`createConsultClient().createSession`),
 *   which runs the device check: `startPreview()` (getUserMedia for camera + microphone, Chromium's
 *   fake devices), `enumerateDevices`, the permissions query. The clock starts inside a
 *   `requestAnimationFrame` callback, right before `appendChild`, and stops:
 *   - shell: at the first task after the frame that painted the enabled Join button;
 *   - preview: at the first frame presented by the preview `<video>` (`requestVideoFrameCallback`);
 *   - device check (notes only): at the `consult-device-check` event.
 * - Baseline, same run: in a page of the same kind (same bundle loaded), a plain `<video>` gets
 *   `getUserMedia({ audio: true, video: true })` and plays it; clock from the same kind of start to
 *   its first presented frame. That is the floor for any camera preview in this browser.
 * - Each repetition runs both, in alternating order, each in a fresh browser context (no camera left
 *   open, no warm device); one untimed warm-up of each first. BENCH_PREJOIN_REPETITIONS (default 11).
 * - Budgets (docs, not a pass/fail): shell ≤ 100 ms after attach; preview ≤ raw getUserMedia + 150 ms.
 */
import type { Browser, Page } from 'playwright-core';
import { bundlePage, launchChromium, servePage } from './lib/browser.js';
import type { PageServer } from './lib/browser.js';
import { check, commandFor, log, max, median, min, report, round } from './lib/report.js';

const ID = 'room-prejoin';
const REPETITIONS = Number(process.env['BENCH_PREJOIN_REPETITIONS'] ?? 11);
const TIMEOUT_MS = 15_000;
const DEADLINE_MS = 120_000;
/** Budgets stated in bench/README.md and in the rows' notes. */
const SHELL_BUDGET_MS = 100;
const PREVIEW_OVER_RAW_BUDGET_MS = 150;

interface RoomTiming {
  shellMs: number;
  previewMs: number;
  deviceCheckMs: number;
  camera: string;
  microphone: string;
  width: number;
  height: number;
}

interface RawTiming {
  previewMs: number;
  width: number;
  height: number;
}

const PAGE_ENTRY = `
import './components/index.ts';

const afterFrame = () =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
const deep = (root, selector) =>
  root.querySelector(selector) ??
  [...root.querySelectorAll('*')]
    .filter((host) => host.shadowRoot)
    .map((host) => deep(host.shadowRoot, selector))
    .find(Boolean) ??
  null;
const startInFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
const withTimeout = (promise, ms, what) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(what + ' not within ' + ms + ' ms')), ms)),
  ]);
const firstFrame = (video) =>
  new Promise((resolve) =>
    video.requestVideoFrameCallback((_now, meta) => resolve({ at: performance.now(), width: meta.width, height: meta.height })),
  );

globalThis.bench = {
  async room(timeoutMs) {
    const el = document.createElement('consult-room');
    el.consultId = 'bench-consult';
    el.displayName = 'Dr. Bench';
    el.fetchToken = () => new Promise(() => undefined);
    el.style.display = 'block';
    el.style.height = '600px';
    // The preview <video> is watched from the moment it is inserted, so its first frame is not missed.
    let preview;
    let shown;
    const previewShown = new Promise((resolve) => (shown = resolve));
    // The preview lives in the room's <consult-prejoin>: watch every shadow root as it appears.
    const watched = new Set();
    const watch = (root) => {
      if (watched.has(root)) return;
      watched.add(root);
      observer.observe(root, { childList: true, subtree: true });
      for (const host of root.querySelectorAll('*')) if (host.shadowRoot) watch(host.shadowRoot);
    };
    const observer = new MutationObserver(() => {
      for (const root of [...watched]) for (const host of root.querySelectorAll('*')) if (host.shadowRoot) watch(host.shadowRoot);
      const video = deep(el.shadowRoot, 'video[part="preview"]');
      if (!video) return;
      observer.disconnect();
      preview = firstFrame(video);
      shown();
    });
    const deviceCheck = new Promise((resolve) =>
      el.addEventListener('consult-device-check', (e) => resolve({ at: performance.now(), detail: e.detail }), { once: true }),
    );
    const t0 = await startInFrame();
    document.body.append(el);
    watch(el.shadowRoot);
    for (let i = 0; i < 20 && !(await el.updateComplete); i++);
    const button = deep(el.shadowRoot, 'button[part="join-button"]');
    if (!button) throw new Error('no Join button after the first update');
    if (button.disabled) throw new Error('the Join button is disabled');
    await afterFrame();
    const shellMs = performance.now() - t0;
    await withTimeout(previewShown, timeoutMs, 'preview <video>');
    const frame = await withTimeout(preview, timeoutMs, 'first preview frame');
    const check = await withTimeout(deviceCheck, timeoutMs, 'consult-device-check');
    return {
      shellMs,
      previewMs: frame.at - t0,
      deviceCheckMs: check.at - t0,
      camera: String(check.detail.camera),
      microphone: String(check.detail.microphone),
      width: frame.width,
      height: frame.height,
    };
  },

  async raw(timeoutMs) {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    const t0 = await startInFrame();
    document.body.append(video);
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    video.srcObject = stream;
    const frame = await withTimeout(firstFrame(video), timeoutMs, 'first raw frame');
    return { previewMs: frame.at - t0, width: frame.width, height: frame.height };
  },
};
`;

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const js = await bundlePage(PAGE_ENTRY);
  let web: PageServer | undefined;
  let browser: Browser | undefined;
  const rooms: RoomTiming[] = [];
  const raws: RawTiming[] = [];
  try {
    const server = await servePage(js);
    web = server;
    const chrome = await launchChromium();
    browser = chrome;
    type Bench = {
      bench: { room(ms: number): Promise<RoomTiming>; raw(ms: number): Promise<RawTiming> };
    };
    const inFreshPage = async <T>(run: (page: Page) => Promise<T>): Promise<T> => {
      const context = await chrome.newContext({ viewport: { width: 1024, height: 768 } });
      try {
        const page = await context.newPage();
        page.on('pageerror', (error) => log(`${ID}: page error: ${error.message}`));
        await page.goto(server.url);
        await page.waitForFunction(() => 'bench' in globalThis);
        return await run(page);
      } finally {
        await context.close();
      }
    };
    const room = (): Promise<RoomTiming> =>
      inFreshPage((page) =>
        page.evaluate((ms) => (globalThis as unknown as Bench).bench.room(ms), TIMEOUT_MS),
      );
    const raw = (): Promise<RawTiming> =>
      inFreshPage((page) =>
        page.evaluate((ms) => (globalThis as unknown as Bench).bench.raw(ms), TIMEOUT_MS),
      );

    await room(); // warm-up, untimed
    await raw();
    for (let i = 0; i < REPETITIONS; i++) {
      const order = i % 2 === 0 ? (['room', 'raw'] as const) : (['raw', 'room'] as const);
      for (const which of order) {
        if (which === 'room') {
          const t = await room();
          check(
            t.camera === 'ok' && t.microphone === 'ok',
            `device check said camera ${t.camera}, microphone ${t.microphone}`,
          );
          check(t.width > 0 && t.height > 0, 'the preview frame had no size');
          rooms.push(t);
          log(
            `${ID}: #${i + 1} room: shell ${t.shellMs.toFixed(0)} ms, preview ${t.previewMs.toFixed(0)} ms (${t.width}x${t.height}), device check ${t.deviceCheckMs.toFixed(0)} ms`,
          );
        } else {
          const t = await raw();
          check(t.width > 0 && t.height > 0, 'the raw frame had no size');
          raws.push(t);
          log(`${ID}: #${i + 1} raw getUserMedia: first frame ${t.previewMs.toFixed(0)} ms`);
        }
      }
    }
  } finally {
    await browser?.close();
    await web?.close();
  }

  const shell = rooms.map((t) => t.shellMs);
  const preview = rooms.map((t) => t.previewMs);
  const deviceCheck = rooms.map((t) => t.deviceCheckMs);
  const rawMs = raws.map((t) => t.previewMs);
  const baseline = median(rawMs);
  const spread = (v: number[]): string =>
    `median ${median(v).toFixed(0)}, min–max ${min(v).toFixed(0)}–${max(v).toFixed(0)} ms`;
  const overRaw = median(preview) - baseline;
  const budgets =
    `budgets: shell ≤ ${SHELL_BUDGET_MS} ms after attach (${median(shell) <= SHELL_BUDGET_MS ? 'met' : 'MISSED'}: ${median(shell).toFixed(0)} ms), ` +
    `preview ≤ raw getUserMedia + ${PREVIEW_OVER_RAW_BUDGET_MS} ms (${overRaw <= PREVIEW_OVER_RAW_BUDGET_MS ? 'met' : 'MISSED'}: +${overRaw.toFixed(0)} ms)`;
  const common =
    `${REPETITIONS} interleaved repetitions after 1 warm-up, fresh browser context each; room shell ${spread(shell)}, ` +
    `preview ${spread(preview)}, device-check event ${spread(deviceCheck)}; raw getUserMedia → first frame ${spread(rawMs)}; ` +
    `${budgets}; real SDK session (fetchToken stubbed, never called), Chromium fake camera + microphone (${rooms[0]?.width}x${rooms[0]?.height}), 1024x768 viewport, --disable-gpu`;
  report({
    id: `${ID}/shell`,
    title: '<consult-room>: attach → pre-join screen with an enabled Join button painted',
    figure: round(median(shell)),
    unit: 'ms (median)',
    baseline: round(baseline),
    baselineUnit: 'ms (median)',
    baselineLabel: 'plain <video>: getUserMedia → first frame, same browser',
    ratio: round(median(shell) / baseline),
    lowerIsBetter: true,
    command: commandFor(ID),
    notes: common,
    reading: `the pre-join screen should be on screen well before any camera could be (ratio well below 1) and within ${SHELL_BUDGET_MS} ms of attach; a ratio near 1 means the shell waits for the camera.`,
  });
  report({
    id: `${ID}/preview`,
    title: '<consult-room>: attach → first camera preview frame on the pre-join screen',
    figure: round(median(preview)),
    unit: 'ms (median)',
    baseline: round(baseline),
    baselineUnit: 'ms (median)',
    baselineLabel: 'plain <video>: getUserMedia → first frame, same browser',
    ratio: round(median(preview) / baseline),
    lowerIsBetter: true,
    command: commandFor(ID),
    notes: common,
    reading: `1 = the room's preview is as fast as raw getUserMedia into a <video>; the excess is the SDK and element overhead (budget: ≤ ${PREVIEW_OVER_RAW_BUDGET_MS} ms over raw).`,
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
