// A page-side probe for end-to-end tests that drive <consult-room> in any browser (Chromium through
// playwright-core, Firefox through puppeteer-core): installed before the page's scripts, it keeps the
// page's WebSockets and RTCPeerConnections (to cut the signalling connection and read receiver
// statistics), finds nodes through open shadow roots by `part`, and counts presented video frames.
// The browser drivers differ; everything the tests ask goes through `globalThis.__room`.

import { MEDIA_COUNTERS_SCRIPT } from './media-counters.js';

/**
 * The script, for `addInitScript` (playwright) or `evaluateOnNewDocument` (puppeteer); it brings
 * its own copy of the media counters (support/media-counters.ts).
 */
export const ROOM_PROBE_SCRIPT = `${MEDIA_COUNTERS_SCRIPT}
(() => {
  const probe = { sockets: [], pcs: [], recording: [], blocked: false };
  const NativeWebSocket = WebSocket;
  globalThis.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      probe.sockets.push(this);
      // A cut network: every new signalling connection fails at once.
      if (probe.blocked) this.close();
    }
  };
  const NativePc = RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends NativePc {
    constructor(...args) { super(...args); probe.pcs.push(this); }
  };
  document.addEventListener('consult-recording-change', (e) => probe.recording.push({ status: e.detail.recording.status, at: Date.now() }));
  probe.block = () => {
    probe.blocked = true;
    for (const s of probe.sockets) if (s.readyState <= 1) s.close();
  };
  probe.unblock = () => { probe.blocked = false; };
  // Every element matching \`selector\` in the document and in every open shadow root below it.
  const all = (selector, root = document) => {
    const found = [...root.querySelectorAll(selector)];
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) found.push(...all(selector, el.shadowRoot));
    return found;
  };
  const part = (name) => all('[part~="' + name + '"]');
  probe.count = (name) => part(name).length;
  probe.visible = (name) => part(name).some((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
  probe.text = (name) => part(name).map((el) => el.textContent.trim());
  probe.click = (name, index = 0) => {
    const el = part(name)[index];
    if (!el) throw new Error('no [part~="' + name + '"]');
    el.click();
  };
  /** Clicks the button whose accessible text (aria-label or text) is \`label\`. */
  probe.clickButton = (label) => {
    const el = all('button').find((b) => (b.getAttribute('aria-label') || b.textContent).trim() === label);
    if (!el) throw new Error('no button "' + label + '"');
    el.click();
  };
  probe.headings = () => all('h1, h2, h3').map((h) => h.textContent.trim());
  /** Types into the chat composer and sends with Enter (the Send button enables a render later). */
  probe.send = (text) => {
    const input = part('input').find((el) => el.closest('[part~="composer"]'));
    if (!input) throw new Error('no chat input');
    input.value = text;
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
  };
  probe.chat = () => all('[part~="message"] [part~="text"]').map((el) => el.textContent);
  /** The other person's <video> (the first remote tile's). */
  const remoteVideo = () => all('[part~="tile"]:not([part~="local"])')
    .map((tile) => tile.shadowRoot?.querySelector('video[part~="video"]'))
    .find(Boolean);
  probe.remoteVideoWidth = () => {
    const v = remoteVideo();
    return v && v.srcObject instanceof MediaStream ? v.videoWidth : 0;
  };
  /** Controls (buttons, selects, fields) in view that are smaller than \`min\` CSS px either way. */
  probe.smallControls = (min) => all('button, select, input, textarea')
    .filter((c) => c.getClientRects().length > 0 && getComputedStyle(c).visibility !== 'hidden')
    .map((c) => ({ c, r: c.getBoundingClientRect() }))
    .filter(({ r }) => r.width < min - 0.5 || r.height < min - 0.5)
    .map(({ c, r }) => c.localName + ' "' + (c.getAttribute('part') || c.getAttribute('aria-label') || c.textContent.trim()) + '" ' + r.width.toFixed(1) + 'x' + r.height.toFixed(1));
  /** How far the page scrolls sideways (0: not at all). */
  probe.overflowX = () => Math.max(0, document.documentElement.scrollWidth - innerWidth);
  /** The bounding box of the first node with \`part\` ({} without one). */
  probe.box = (name) => {
    const el = part(name)[0];
    if (!el) return {};
    const r = el.getBoundingClientRect();
    return { top: r.top, left: r.left, width: r.width, height: r.height };
  };
  /** The connection states of the page's peer connections that are not closed. */
  probe.pcStates = () => probe.pcs.filter((pc) => pc.connectionState !== 'closed').map((pc) => pc.connectionState);
  /** Every <video> the room shows plays inline (no fullscreen takeover on phones). */
  probe.videosInline = () => all('video').map((v) => v.hasAttribute('playsinline') && (!('playsInline' in v) || v.playsInline));
  // Frames presented by the other person's <video> (support/media-counters.ts), until \`n\` or
  // \`ms\` elapse; the tile is looked up again while counting (a new stream or tile replaces it).
  probe.frames = (n, ms) => globalThis.__mediaCounters.countFrames(remoteVideo, n, ms);
  /** Packets received (audio or video) on the page's open peer connections, summed. */
  probe.packets = async (kind) => {
    const totals = await globalThis.__mediaCounters.inboundTotals(probe.pcs);
    return kind === 'audio' ? totals.audioPackets : totals.videoPackets;
  };
  /** The codecs of the page's inbound RTP streams (mimeType), e.g. ["audio/opus", "video/VP8"]. */
  probe.inboundCodecs = async () => {
    const codecs = new Set();
    for (const pc of probe.pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.codecId && report.get(s.codecId)) codecs.add(report.get(s.codecId).mimeType);
      });
    }
    return [...codecs].sort();
  };
  globalThis.__room = probe;
})();
`;

/** What {@link ROOM_PROBE_SCRIPT} leaves on `globalThis`. */
export interface RoomProbe {
  recording: Array<{ status: string; at: number }>;
  block(): void;
  unblock(): void;
  count(part: string): number;
  visible(part: string): boolean;
  text(part: string): string[];
  click(part: string, index?: number): void;
  clickButton(label: string): void;
  headings(): string[];
  send(text: string): void;
  chat(): string[];
  remoteVideoWidth(): number;
  videosInline(): boolean[];
  smallControls(min: number): string[];
  overflowX(): number;
  box(part: string): { top?: number; left?: number; width?: number; height?: number };
  pcStates(): string[];
  frames(n: number, ms: number): Promise<{ width: number; frames: number }>;
  packets(kind: 'audio' | 'video'): Promise<number>;
  inboundCodecs(): Promise<string[]>;
}

type ProbeMethod = {
  [K in keyof RoomProbe]: RoomProbe[K] extends (...args: never[]) => unknown ? K : never;
}[keyof RoomProbe];
type Args<K extends ProbeMethod> = Parameters<RoomProbe[K]>;
type Result<K extends ProbeMethod> = Awaited<ReturnType<RoomProbe[K]>>;

/** One person's page, whichever driver runs it. */
export interface RoomPage {
  name: string;
  /** Calls a probe method in the page. */
  probe<K extends ProbeMethod>(method: K, ...args: Args<K>): Promise<Result<K>>;
  /** The recording events the page saw. */
  recording(): Promise<RoomProbe['recording']>;
}

// Page functions are serialised into the page: each is self-contained.
type PageFn = (method: string, args: unknown[]) => unknown;
const callProbe: PageFn = (method, args) => {
  const probe = (globalThis as unknown as { __room: Record<string, unknown> }).__room;
  const value = probe[method];
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown)(...args) : value;
};
const callProbeTuple = ([method, args]: [string, unknown[]]): unknown => {
  const probe = (globalThis as unknown as { __room: Record<string, unknown> }).__room;
  const value = probe[method];
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown)(...args) : value;
};

/** A page driven by playwright-core (`evaluate(fn, arg)`). */
export function playwrightRoomPage(
  name: string,
  page: { evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> },
): RoomPage {
  const call = (method: string, args: unknown[]): Promise<unknown> =>
    page.evaluate(callProbeTuple, [method, args] as [string, unknown[]]);
  return {
    name,
    probe: (method, ...args) => call(method, args) as never,
    recording: () => call('recording', []) as Promise<RoomProbe['recording']>,
  };
}

/** A page driven by puppeteer-core (`evaluate(fn, ...args)`). */
export function puppeteerRoomPage(
  name: string,
  page: { evaluate(fn: PageFn, method: string, args: unknown[]): Promise<unknown> },
): RoomPage {
  return {
    name,
    probe: (method, ...args) => page.evaluate(callProbe, method, args) as never,
    recording: () => page.evaluate(callProbe, 'recording', []) as Promise<RoomProbe['recording']>,
  };
}
