// Page-side media counters shared by the end-to-end tests, as one script for `addInitScript`
// (playwright), `evaluateOnNewDocument` (puppeteer) or `addScriptTag`: it leaves
// `globalThis.__mediaCounters` with
// - `countFrames(find, n, ms)`: frames a `<video>` presents (requestVideoFrameCallback calls) until
//   `n` arrived or `ms` passed, resolving `{ width, frames }`. `find` is asked again every 200 ms, so
//   a new stream or a re-rendered tile that replaces the element keeps being counted;
// - `inboundTotals(pcs)`: what the peer connections that are not closed received, summed over
//   their inbound RTP streams: `{ videoFrames, videoPackets, audioPackets }`.
// Runs in Chromium and Firefox alike (both have requestVideoFrameCallback and inbound-rtp stats).

/** The script; see the file comment. */
export const MEDIA_COUNTERS_SCRIPT = `
(() => {
  const countFrames = (find, n, ms) => new Promise((resolve) => {
    let count = 0;
    let width = 0;
    const watched = new WeakSet();
    const finish = () => { clearInterval(poll); clearTimeout(timer); resolve({ width, frames: count }); };
    const watch = () => {
      const video = find();
      if (!video || watched.has(video)) return;
      watched.add(video);
      function tick() {
        count++;
        width = video.videoWidth;
        if (count >= n) finish(); else if (video.isConnected) video.requestVideoFrameCallback(tick);
      }
      video.requestVideoFrameCallback(tick);
    };
    const poll = setInterval(watch, 200);
    const timer = setTimeout(finish, ms);
    watch();
  });
  const inboundTotals = async (pcs) => {
    const totals = { videoFrames: 0, videoPackets: 0, audioPackets: 0 };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') {
          totals.videoFrames += s.framesDecoded ?? 0;
          totals.videoPackets += s.packetsReceived ?? 0;
        }
        if (s.kind === 'audio') totals.audioPackets += s.packetsReceived ?? 0;
      });
    }
    return totals;
  };
  globalThis.__mediaCounters = { countFrames, inboundTotals };
})();
`;

/** A `<video>`'s presented frames, as `countFrames` resolves them. */
export interface FrameCount {
  width: number;
  frames: number;
}

/** What the peer connections received, as `inboundTotals` resolves it. */
export interface InboundTotals {
  videoFrames: number;
  videoPackets: number;
  audioPackets: number;
}

/** What {@link MEDIA_COUNTERS_SCRIPT} leaves on `globalThis`, for typed page functions. */
export interface MediaCountersWindow {
  __mediaCounters: {
    countFrames(
      find: () => HTMLVideoElement | null | undefined,
      n: number,
      ms: number,
    ): Promise<FrameCount>;
    inboundTotals(pcs: readonly RTCPeerConnection[]): Promise<InboundTotals>;
  };
}
