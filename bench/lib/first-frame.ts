/**
 * What both join-to-first-frame benchmarks share: the page-side first-frame clock
 * (`requestVideoFrameCallback`) and the baseline — two `RTCPeerConnection`s in one fresh page with
 * the camera already open, clock from creating them to the first remote frame — plus the median of
 * the per-step marks of the through-server runs.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { median } from './report.js';

/** What one timed run returns (ms from the start of the clock); steps are backend-specific. */
export interface FirstFrameTiming {
  firstFrameMs: number;
  width: number;
  height: number;
  [step: string]: number | undefined;
}

/**
 * Page-side JavaScript: `firstFrame(video, t0, timeoutMs, extra)` resolves at the first presented
 * frame, and `loopbackBench` holds `openCamera()` and `loopback(timeoutMs)` for the baseline.
 */
export const FIRST_FRAME_PAGE_JS = `
function firstFrame(video, t0, timeoutMs, extra) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no remote frame within ' + timeoutMs + ' ms')), timeoutMs);
    video.requestVideoFrameCallback((_now, meta) => {
      clearTimeout(timer);
      resolve({ firstFrameMs: performance.now() - t0, width: meta.width, height: meta.height, ...extra() });
    });
  });
}

let loopbackCamera;
const loopbackBench = {
  async openCamera() {
    loopbackCamera = await navigator.mediaDevices.getUserMedia({
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
    for (const track of loopbackCamera.getTracks()) a.addTrack(track, loopbackCamera);
    const frame = firstFrame(video, t0, timeoutMs, () => ({}));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    return frame;
  },
};
`;

/** One baseline run in a fresh context of `openPage`'s browser (the page must expose `loopbackBench` as `bench`). */
export async function directLoopback(
  openPage: () => Promise<{ context: BrowserContext; page: Page }>,
  timeoutMs: number,
): Promise<FirstFrameTiming> {
  const { context, page } = await openPage();
  type Loop = {
    bench: { openCamera(): Promise<void>; loopback(ms: number): Promise<FirstFrameTiming> };
  };
  try {
    await page.evaluate(() => (globalThis as unknown as Loop).bench.openCamera());
    return await page.evaluate(
      (ms) => (globalThis as unknown as Loop).bench.loopback(ms),
      timeoutMs,
    );
  } finally {
    await context.close();
  }
}

/** "label median ms, …" over the runs that reached each step (a missed event is left out). */
export function medianSteps(
  runs: readonly FirstFrameTiming[],
  steps: readonly (readonly [key: string, label: string])[],
): string {
  return steps
    .map(([key, label]) => {
      const values = runs
        .map((t) => t[key])
        .filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
      return `${label} ${values.length ? median(values).toFixed(0) : '—'}`;
    })
    .join(', ');
}
