// The page side of the LiveKit e2e tests: the real livekit-client (bundled with esbuild) behind a
// global `harness` that joins a room, publishes the fake camera and microphone, counts the frames
// each remote video presents (requestVideoFrameCallback), reads the audio packets received, and
// records data packets and events. {@link harnessPage} drives it from playwright-core (Chromium) or
// puppeteer-core (Firefox) alike.
import { bundleForPage } from './page-bundle.js';

export const LIVEKIT_PAGE_ENTRY = `
import { Room, RoomEvent, Track, VideoPresets } from 'livekit-client';
const events = [];
const frames = {};
const received = [];
const audio = {};
// livekit-client's signalling sockets, so a test can cut them (a dropped connection).
const sockets = [];
// How many of the next signalling sockets fail at once (a network still down while it retries).
let failing = 0;
const NativeWebSocket = WebSocket;
globalThis.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    sockets.push(this);
    if (failing > 0) { failing--; this.close(); }
  }
};
const pcs = [];
const NativePc = RTCPeerConnection;
globalThis.RTCPeerConnection = class extends NativePc {
  constructor(...args) { super(...args); pcs.push(this); }
};
let room;
function countFrames(identity, track) {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
  track.attach(video);
  frames[identity] = 0;
  const onFrame = () => { frames[identity]++; video.requestVideoFrameCallback(onFrame); };
  video.requestVideoFrameCallback(onFrame);
}
globalThis.harness = {
  events, frames, received,
  async join(url, token) {
    // 360p capture keeps two encoders affordable on a busy 2-core machine.
    room = new Room({ videoCaptureDefaults: { resolution: VideoPresets.h360.resolution } });
    room
      .on(RoomEvent.ParticipantConnected, (p) => events.push(['participantConnected', p.identity]))
      .on(RoomEvent.ParticipantDisconnected, (p) => events.push(['participantDisconnected', p.identity]))
      .on(RoomEvent.TrackSubscribed, (track, _pub, p) => {
        events.push(['trackSubscribed', p.identity + ':' + track.kind]);
        if (track.kind === Track.Kind.Video) countFrames(p.identity, track);
        else { audio[p.identity] = track; track.attach(); }
      })
      .on(RoomEvent.TrackMuted, (pub, p) => events.push(['trackMuted', p.identity + ':' + pub.kind]))
      .on(RoomEvent.ParticipantMetadataChanged, (_old, p) => events.push(['metadataChanged', p.identity + ':' + p.metadata]))
      .on(RoomEvent.DataReceived, (payload, p, kind, topic) =>
        received.push({ text: new TextDecoder().decode(payload), identity: p ? p.identity : null, topic: topic ?? null }))
      .on(RoomEvent.Disconnected, (reason) => events.push(['disconnected', reason]))
      .on(RoomEvent.SignalReconnecting, () => events.push(['signalReconnecting', null]))
      .on(RoomEvent.Reconnecting, () => events.push(['reconnecting', null]))
      .on(RoomEvent.Reconnected, () => events.push(['reconnected', null]));
    await room.connect(url, token);
    return { sid: room.localParticipant.sid, others: [...room.remoteParticipants.keys()] };
  },
  async publish() {
    await room.localParticipant.enableCameraAndMicrophone();
  },
  async muteMic(muted) {
    await room.localParticipant.setMicrophoneEnabled(!muted);
  },
  async send(text, topic, destinationIdentities) {
    await room.localParticipant.publishData(new TextEncoder().encode(text), { reliable: true, topic, destinationIdentities });
  },
  metadataOf(identity) {
    const p = identity === room.localParticipant.identity ? room.localParticipant : room.remoteParticipants.get(identity);
    return p ? p.metadata : undefined;
  },
  /** Audio packets received from \`identity\` (its track's inbound-rtp). */
  async audioPackets(identity) {
    const track = audio[identity];
    if (!track || !track.receiver) return 0;
    let packets = 0;
    (await track.receiver.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') packets += s.packetsReceived; });
    return packets;
  },
  state() { return room ? room.state : 'none'; },
  sid() { return room.localParticipant.sid; },
  /** The server's ICE ufrag on each open peer connection (an ICE restart changes it). */
  remoteUfrags() {
    return pcs.filter((pc) => pc.connectionState !== 'closed' && pc.remoteDescription)
      .map((pc) => (/a=ice-ufrag:(\\S+)/.exec(pc.remoteDescription.sdp) || [])[1] || '');
  },
  /**
   * Closes the open signalling sockets (as a dropped connection would) and makes the next
   * \`failNext\` ones fail at once; how many were open.
   */
  cutSignal(failNext = 0) {
    failing = failNext;
    const open = sockets.filter((s) => s.readyState === NativeWebSocket.OPEN);
    for (const s of open) s.close();
    return open.length;
  },
  async leave() { await room.disconnect(); },
};
`;

/** Bundles {@link LIVEKIT_PAGE_ENTRY} with the repository's livekit-client (an IIFE script). */
export function bundleLiveKitPage(): Promise<string> {
  return bundleForPage({
    contents: LIVEKIT_PAGE_ENTRY,
    sourcefile: 'livekit-entry.js',
    loader: 'js',
  });
}

/** What {@link LIVEKIT_PAGE_ENTRY} leaves on `globalThis.harness`. */
export interface LiveKitHarness {
  events: [string, unknown][];
  frames: Record<string, number>;
  received: { text: string; identity: string | null; topic: string | null }[];
  join(url: string, token: string): Promise<{ sid: string; others: string[] }>;
  publish(): Promise<void>;
  muteMic(muted: boolean): Promise<void>;
  send(text: string, topic: string, destinationIdentities?: string[]): Promise<void>;
  metadataOf(identity: string): string | undefined;
  audioPackets(identity: string): Promise<number>;
  state(): string;
  sid(): string;
  cutSignal(failNext?: number): number;
  remoteUfrags(): string[];
  leave(): Promise<void>;
}

type HarnessMethod = {
  [K in keyof LiveKitHarness]: LiveKitHarness[K] extends (...args: never[]) => unknown ? K : never;
}[keyof LiveKitHarness];

/** One page running the harness, whichever driver runs it. */
export interface HarnessPage {
  /** Calls a harness method in the page. */
  call<K extends HarnessMethod>(
    method: K,
    ...args: Parameters<LiveKitHarness[K]>
  ): Promise<Awaited<ReturnType<LiveKitHarness[K]>>>;
  /** Reads a harness field. */
  read<K extends Exclude<keyof LiveKitHarness, HarnessMethod>>(
    field: K,
  ): Promise<LiveKitHarness[K]>;
}

// Serialised into the page: self-contained.
const inPage = ([name, args]: [string, unknown[]]): unknown => {
  const harness = (globalThis as unknown as { harness: Record<string, unknown> }).harness;
  const value = harness[name];
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown)(...args) : value;
};

/**
 * Wraps a playwright-core or puppeteer-core page (both take `evaluate(fn, arg)` with one argument).
 */
export function harnessPage(page: {
  evaluate(fn: (arg: [string, unknown[]]) => unknown, arg: [string, unknown[]]): Promise<unknown>;
}): HarnessPage {
  const run = (name: string, args: unknown[]): Promise<unknown> =>
    page.evaluate(inPage, [name, args]);
  return {
    call: (method, ...args) => run(method, args) as never,
    read: (field) => run(field, []) as never,
  };
}
