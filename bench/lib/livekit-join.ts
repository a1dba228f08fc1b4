/**
 * join-to-first-frame on the dev media server's LiveKit mode (the `join-to-first-frame/livekit`
 * row): participant A (real livekit-client in Chromium, fake camera) publishes; for each
 * repetition a fresh context loads B's page with its token minted beforehand, the clock starts at
 * B's `room.connect()` and stops at the first frame presented by a `<video>` playing A's subscribed
 * camera track (`requestVideoFrameCallback`). Joins are spaced like the OpenVidu row's.
 */
import { AccessToken } from 'livekit-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { startLiveKitDevServer } from '../../server/dev-media-server/livekit/server.js';
import { bundlePage, servePage } from './browser.js';
import { sleep } from './report.js';

const PAGE_ENTRY = `
import { Room, RoomEvent, Track } from 'livekit-client';

let publisher;
globalThis.lk = {
  async publish(url, token) {
    publisher = new Room();
    await publisher.connect(url, token);
    await publisher.localParticipant.enableCameraAndMicrophone();
  },
  async join(url, token, timeoutMs) {
    const room = new Room({ adaptiveStream: false });
    const marks = {};
    let t0 = 0;
    const frame = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no remote frame within ' + timeoutMs + ' ms')), timeoutMs);
      room.on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind !== Track.Kind.Video) return;
        marks.subscribedMs = performance.now() - t0;
        const video = document.createElement('video');
        video.muted = true;
        video.autoplay = true;
        video.playsInline = true;
        document.body.append(video);
        video.srcObject = new MediaStream([track.mediaStreamTrack]);
        video.requestVideoFrameCallback((_now, meta) => {
          clearTimeout(timer);
          resolve({ firstFrameMs: performance.now() - t0, width: meta.width, height: meta.height, ...marks });
        });
      });
    });
    t0 = performance.now();
    await room.connect(url, token);
    marks.connectedMs = performance.now() - t0;
    return frame;
  },
};
`;

export interface LiveKitJoin {
  firstFrameMs: number;
  width: number;
  height: number;
  /** `room.connect()` resolved, and A's camera track subscribed (ms from the start). */
  connectedMs?: number;
  subscribedMs?: number;
}

type LkWindow = {
  lk: {
    publish(url: string, token: string): Promise<void>;
    join(url: string, token: string, timeoutMs: number): Promise<LiveKitJoin>;
  };
};

/** Runs one warm-up and `repetitions` timed joins in `browser`; returns the timed ones. */
export async function liveKitJoins(
  browser: Browser,
  repetitions: number,
  timeoutMs: number,
  spacingMs: number,
  onJoin: (i: number, t: LiveKitJoin) => void,
): Promise<{ joins: LiveKitJoin[]; forwardedPackets: number }> {
  const server = await startLiveKitDevServer({ port: 0 });
  const site = await servePage(await bundlePage(PAGE_ENTRY));
  const pageUrl = site.url;
  const room = 'bench-join';
  let n = 0;
  const token = (): Promise<string> => {
    const at = new AccessToken(server.apiKey, server.apiSecret, { identity: `p${n++}` });
    at.addGrant({ roomJoin: true, room });
    return at.toJwt();
  };
  const open = async (): Promise<{ page: Page; close(): Promise<void> }> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(() => 'lk' in globalThis);
    return { page, close: () => context.close() };
  };
  const a = await open();
  try {
    await a.page.evaluate(
      ([u, t]) => (globalThis as unknown as LkWindow).lk.publish(u as string, t as string),
      [server.wsUrl, await token()],
    );
    const joins: LiveKitJoin[] = [];
    let last = 0;
    for (let i = 0; i <= repetitions; i++) {
      const wait = last + spacingMs - performance.now();
      if (wait > 0) await sleep(wait);
      const jwt = await token();
      const b = await open();
      try {
        const t = await b.page.evaluate(
          ([u, tk, ms]) =>
            (globalThis as unknown as LkWindow).lk.join(u as string, tk as string, ms as number),
          [server.wsUrl, jwt, timeoutMs] as const,
        );
        // The first join is the untimed warm-up.
        if (i > 0) {
          joins.push(t);
          onJoin(i, t);
        }
      } finally {
        last = performance.now();
        await b.close();
      }
    }
    return { joins, forwardedPackets: server.stats().forwardedPackets };
  } finally {
    await a.close();
    await site.close();
    await server.close();
  }
}
