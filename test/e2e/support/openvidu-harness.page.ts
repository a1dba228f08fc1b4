// Runs INSIDE the browser page (bundled by openvidu-page.ts with esbuild into an IIFE): drives the real,
// unmodified openvidu-browser and records what it emits, so Node-side tests can wait on events and read
// WebRTC stats. Exposes `window.OpenVidu` and `window.ovHarness`.
import { OpenVidu } from 'openvidu-browser';
import type {
  Connection,
  ConnectionEvent,
  ExceptionEvent,
  Publisher,
  RecordingEvent,
  Session,
  SessionDisconnectedEvent,
  SignalEvent,
  StreamEvent,
  StreamPropertyChangedEvent,
  Subscriber,
} from 'openvidu-browser';

/** One event as emitted by openvidu-browser, flattened to JSON. */
export interface HarnessEvent {
  seq: number;
  /** `performance.now()` in the page. */
  at: number;
  type: string;
  connectionId?: string;
  streamId?: string;
  reason?: string;
  signalType?: string;
  data?: string;
  from?: string;
  property?: string;
  newValue?: string;
  name?: string;
}

export interface InboundStats {
  /** Video inbound-rtp (absent when no video receiver reports yet). */
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  videoPackets: number;
  /** Audio inbound-rtp. */
  audioPackets: number;
  iceState: string;
}

export interface PublishOptions {
  audio?: boolean;
  video?: boolean;
}

export interface OvHarness {
  events: HarnessEvent[];
  connect(token: string, clientData: string): Promise<string>;
  publish(options?: PublishOptions): Promise<string>;
  publishAudio(on: boolean): void;
  publishVideo(on: boolean): void;
  signal(type: string, data: string, to?: string[]): Promise<void>;
  /** Connection ids of remote participants this page subscribed to. */
  subscribedTo(): string[];
  /** WebRTC stats of this page's subscription to `connectionId`'s stream. */
  inbound(connectionId: string): Promise<InboundStats>;
  disconnect(): Promise<void>;
  /** `Stream.reconnect()` of the publisher: a new RTCPeerConnection, `reconnectStream` to the server. */
  reconnectPublisher(): Promise<void>;
  /** `Stream.reconnect()` of this page's subscription to `connectionId`. */
  reconnectSubscription(connectionId: string): Promise<void>;
  /** Closes the signalling WebSocket as a dropped network would (openvidu-browser then reconnects). */
  dropWebSocket(): number;
  /** WebSockets opened by this page so far (a reconnection opens a new one). */
  webSocketsOpened(): number;
}

declare global {
  interface Window {
    OpenVidu: typeof OpenVidu;
    ovHarness: OvHarness;
  }
}

// Keep a handle on every WebSocket the library opens: its own is private to a closure.
const sockets: WebSocket[] = [];
const NativeWebSocket = window.WebSocket;
class TrackedWebSocket extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}
window.WebSocket = TrackedWebSocket;

const events: HarnessEvent[] = [];
let seq = 0;
function record(type: string, fields: Omit<HarnessEvent, 'seq' | 'at' | 'type'> = {}): void {
  events.push({ seq: seq++, at: performance.now(), type, ...fields });
}

let ov: OpenVidu | undefined;
let session: Session | undefined;
let publisher: Publisher | undefined;
const subscribers = new Map<string, Subscriber>();

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is not ready`);
  return v;
}

function container(id: string): HTMLElement {
  const div = document.createElement('div');
  div.id = id;
  document.body.append(div);
  return div;
}

function listen(s: Session): void {
  s.on('connectionCreated', (e) => {
    record('connectionCreated', { connectionId: (e as ConnectionEvent).connection.connectionId });
  });
  s.on('connectionDestroyed', (e) => {
    const ev = e as ConnectionEvent;
    record('connectionDestroyed', {
      connectionId: ev.connection.connectionId,
      reason: ev.reason,
    });
  });
  s.on('streamCreated', (e) => {
    const ev = e as StreamEvent;
    const remote = ev.stream.connection.connectionId;
    record('streamCreated', { connectionId: remote, streamId: ev.stream.streamId });
    const sub = s.subscribe(ev.stream, container(`sub-${remote}`));
    subscribers.set(remote, sub);
    sub.on('streamPlaying', () =>
      record('streamPlaying', { connectionId: remote, streamId: ev.stream.streamId }),
    );
    void watchFirstFrame(sub, remote);
  });
  s.on('streamDestroyed', (e) => {
    const ev = e as StreamEvent;
    const remote = ev.stream.connection.connectionId;
    subscribers.delete(remote);
    document.getElementById(`sub-${remote}`)?.remove();
    record('streamDestroyed', {
      connectionId: remote,
      streamId: ev.stream.streamId,
      reason: ev.reason,
    });
  });
  s.on('streamPropertyChanged', (e) => {
    const ev = e as StreamPropertyChangedEvent;
    record('streamPropertyChanged', {
      connectionId: ev.stream.connection.connectionId,
      streamId: ev.stream.streamId,
      property: ev.changedProperty,
      newValue: JSON.stringify(ev.newValue),
      reason: ev.reason,
    });
  });
  s.on('signal', (e) => {
    const ev = e as SignalEvent;
    record('signal', {
      signalType: ev.type,
      data: ev.data ?? '',
      ...(ev.from ? { from: ev.from.connectionId } : {}),
    });
  });
  s.on('sessionDisconnected', (e) => {
    record('sessionDisconnected', { reason: (e as SessionDisconnectedEvent).reason });
  });
  s.on('reconnecting', () => record('reconnecting'));
  s.on('reconnected', () => record('reconnected'));
  s.on('exception', (e) => {
    const ev = e as ExceptionEvent;
    record('exception', { name: ev.name, data: ev.message });
  });
  s.on('recordingStarted', (e) => record('recordingStarted', { name: (e as RecordingEvent).id }));
  s.on('recordingStopped', (e) => {
    const ev = e as RecordingEvent;
    record('recordingStopped', { name: ev.id, reason: ev.reason });
  });
}

/** Records `iceConnected` and `firstFrame` (first decoded video frame) for a subscription. */
async function watchFirstFrame(sub: Subscriber, remote: string): Promise<void> {
  const streamId = sub.stream.streamId;
  let iceSeen = false;
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline && subscribers.get(remote) === sub) {
    const pc = sub.stream.getWebRtcPeer() ? sub.stream.getRTCPeerConnection() : undefined;
    if (pc) {
      if (
        !iceSeen &&
        (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed')
      ) {
        iceSeen = true;
        record('iceConnected', { connectionId: remote, streamId });
      }
      const stats = await inbound(remote).catch(() => undefined);
      if (stats && stats.framesDecoded > 0) {
        record('firstFrame', { connectionId: remote, streamId });
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function inbound(connectionId: string): Promise<InboundStats> {
  const sub = subscribers.get(connectionId);
  if (!sub) throw new Error(`not subscribed to ${connectionId}`);
  const pc = sub.stream.getRTCPeerConnection();
  const out: InboundStats = {
    framesDecoded: 0,
    frameWidth: 0,
    frameHeight: 0,
    videoPackets: 0,
    audioPackets: 0,
    iceState: pc.iceConnectionState,
  };
  const report = await pc.getStats();
  report.forEach((raw: unknown) => {
    const s = raw as {
      type: string;
      kind?: string;
      framesDecoded?: number;
      frameWidth?: number;
      frameHeight?: number;
      packetsReceived?: number;
    };
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      out.framesDecoded += s.framesDecoded ?? 0;
      out.frameWidth = Math.max(out.frameWidth, s.frameWidth ?? 0);
      out.frameHeight = Math.max(out.frameHeight, s.frameHeight ?? 0);
      out.videoPackets += s.packetsReceived ?? 0;
    } else if (s.kind === 'audio') {
      out.audioPackets += s.packetsReceived ?? 0;
    }
  });
  return out;
}

window.OpenVidu = OpenVidu;
window.ovHarness = {
  events,
  async connect(token, clientData) {
    ov = new OpenVidu();
    ov.enableProdMode();
    session = ov.initSession();
    listen(session);
    await session.connect(token, clientData);
    return session.connection.connectionId;
  },
  async publish(options = {}) {
    const o = need(ov, 'OpenVidu');
    const s = need(session, 'session');
    const p = await o.initPublisherAsync(container('publisher'), {
      audioSource: options.audio === false ? false : undefined,
      videoSource: options.video === false ? false : undefined,
      publishAudio: true,
      publishVideo: true,
      insertMode: 'APPEND',
    });
    publisher = p;
    await s.publish(p);
    return p.stream.streamId;
  },
  publishAudio(on) {
    need(publisher, 'publisher').publishAudio(on);
  },
  publishVideo(on) {
    void need(publisher, 'publisher').publishVideo(on);
  },
  async signal(type, data, to) {
    const s = need(session, 'session');
    let targets: Connection[] | undefined;
    if (to) {
      targets = to.map((id) => {
        const c = id === s.connection.connectionId ? s.connection : s.remoteConnections.get(id);
        if (!c) throw new Error(`unknown connection ${id}`);
        return c;
      });
    }
    await s.signal({ type, data, ...(targets ? { to: targets } : {}) });
  },
  subscribedTo: () => [...subscribers.keys()],
  inbound,
  async disconnect() {
    const s = need(session, 'session');
    const gone = new Promise<void>((resolve) => s.once('sessionDisconnected', () => resolve()));
    s.disconnect();
    await gone;
  },
  async reconnectPublisher() {
    await need(publisher, 'publisher').stream.reconnect();
  },
  async reconnectSubscription(connectionId) {
    await need(subscribers.get(connectionId), `subscription to ${connectionId}`).stream.reconnect();
  },
  dropWebSocket() {
    const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN);
    for (const ws of open) ws.close();
    return open.length;
  },
  webSocketsOpened: () => sockets.length,
};
