/**
 * The load the SFU benchmarks (`sfu-cpu`, `sfu-capacity`) put on the dev media server: the server
 * alone in a child process (reporting its own CPU, router counters and event-loop delay), and
 * two-person calls of werift participants in this process, each publishing a recorded VP8
 * 640x480@30 + Opus RTP stream replayed in real time and subscribing to the other's. The clients do
 * no encoding or decoding, so what grows with the calls is the server's forwarding work.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { log, sleep } from './report.js';
import { recordRtp, RtpReplayer } from './rtp-recording.js';
import type { RtpRecording } from './rtp-recording.js';
import { startServerChild } from './server-child.js';
import type { ServerChild, ServerSample } from './server-child.js';
import { createSession, WeriftParticipant } from './werift-participant.js';

export interface Call {
  a: WeriftParticipant;
  b: WeriftParticipant;
  sources: RtpReplayer[];
}

/** One measured window: the server's counters and the load generator's, each over its own clock. */
export interface LoadWindow {
  calls: number;
  streams: number;
  /** Server window (between its two samples) and load-generator window, seconds. */
  wallS: number;
  loadWallS: number;
  serverCpuS: number;
  loadCpuS: number;
  /** Packets in the window: forwarded by the router, published and received by the participants. */
  forwarded: number;
  sent: number;
  received: number;
  serverRssMb: number;
  serverLoopP99Ms: number;
  serverLoopMaxMs: number;
  loadLoopP99Ms: number;
  /** Publishers at the server at the end of the window. */
  publishers: number;
  /**
   * Event-loop delay p99 of an idle Node process in the same window: what the machine's scheduler
   * alone costs an event loop right then (other work on a shared machine), not the server's doing.
   */
  floorLoopP99Ms: number;
}

/** The idle process of {@link LoadWindow.floorLoopP99Ms}: answers `sample` with its p99 and resets. */
const FLOOR_PROBE_SCRIPT = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on('message', () => {
  process.send({ p99Ms: delay.percentile(99) / 1e6 });
  delay.reset();
});
process.on('disconnect', () => process.exit(0));
`;

class FloorProbe {
  private constructor(private readonly child: ChildProcess) {}

  static start(): FloorProbe {
    const child = spawn(process.execPath, ['-e', FLOOR_PROBE_SCRIPT], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    return new FloorProbe(child);
  }

  /** p99 since the previous sample (bounded wait: a stalled probe reads as NaN). */
  sample(): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(Number.NaN), 5_000);
      const onMessage = (message: { p99Ms?: unknown }): void =>
        done(typeof message.p99Ms === 'number' ? message.p99Ms : Number.NaN);
      const done = (value: number): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(value);
      };
      this.child.on('message', onMessage);
      this.child.send('sample');
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }
}

/** Server CPU seconds between two samples. */
export function cpuSeconds(a: ServerSample, b: ServerSample): number {
  return (b.userUs - a.userUs + (b.systemUs - a.systemUs)) / 1e6;
}

/**
 * Forwarded and received packet rates as a share of the publish rate (1 = all). The two processes'
 * windows differ by their IPC latency (up to ~1 s when the machine stalls them), so each rate is
 * taken over its own process's window.
 */
export function delivery(w: LoadWindow): { forwarded: number; received: number } {
  const sentRate = w.sent / w.loadWallS;
  return {
    forwarded: w.forwarded / w.wallS / sentRate,
    received: w.received / w.loadWallS / sentRate,
  };
}

/** 6 s of one stream (640x480@30 VP8 at 600 kbit/s + Opus at 32 kbit/s), recorded with ffmpeg. */
export async function recordStream(id: string): Promise<RtpRecording> {
  log(`${id}: recording 6 s of VP8 + Opus RTP with ffmpeg…`);
  return recordRtp({ seconds: 6, width: 640, height: 480, fps: 30, videoKbps: 600, audioKbps: 32 });
}

/** The server child and the calls on it. */
export class SfuLoad {
  readonly calls: Call[] = [];
  private readonly sources: RtpReplayer[] = [];
  private readonly loadLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly floor = FloorProbe.start();

  private constructor(
    readonly server: ServerChild,
    readonly baseUrl: string,
    private readonly recording: RtpRecording,
  ) {
    this.loadLoopDelay.enable();
  }

  /** Starts the server child and waits for its router (it loads in the background after listen). */
  static async start(recording: RtpRecording): Promise<SfuLoad> {
    // announcedIp adds a 127.0.0.1 host candidate on the server; participants use only that one.
    const server = await startServerChild({ announcedIp: '127.0.0.1' });
    const load = new SfuLoad(server, server.url.replace('//localhost:', '//127.0.0.1:'), recording);
    await sleep(2_000);
    await server.sample();
    return load;
  }

  /** The server's CPU (% of one core) and event-loop delay p99 with no call, over `ms`. */
  async idle(ms: number): Promise<{ corePct: number; loopP99Ms: number }> {
    const i0 = await this.server.sample();
    await sleep(ms);
    const i1 = await this.server.sample();
    return {
      corePct: (100 * cpuSeconds(i0, i1)) / ((i1.wallMs - i0.wallMs) / 1000),
      loopP99Ms: i1.loopDelayP99Ms,
    };
  }

  participants(calls: readonly Call[] = this.calls): WeriftParticipant[] {
    return calls.flatMap((c) => [c.a, c.b]);
  }

  /**
   * Adds one call: two participants join a new session, publish, and subscribe to each other. Calls
   * are added one after the other: on a loaded 2-core machine many ICE + DTLS handshakes at once
   * time out.
   */
  async addCall(): Promise<Call> {
    const sessionId = await createSession(this.baseUrl, this.server.secret);
    const call: Call = {
      a: new WeriftParticipant(this.baseUrl, this.server.secret, sessionId),
      b: new WeriftParticipant(this.baseUrl, this.server.secret, sessionId),
      sources: [this.newSource(), this.newSource()],
    };
    this.calls.push(call);
    await call.a.join();
    await call.b.join();
    await Promise.all([
      call.a.publish(call.sources[0] as RtpReplayer),
      call.b.publish(call.sources[1] as RtpReplayer),
    ]);
    await Promise.all([call.a.subscribe(call.b), call.b.subscribe(call.a)]);
    return call;
  }

  /** Ends the newest call (both leave) and waits (bounded) until the server released it. */
  async removeCall(): Promise<void> {
    const call = this.calls.pop();
    if (!call) return;
    for (const source of call.sources) source.stop();
    await Promise.all([call.a.leave(), call.b.leave()]);
    const publishers = 2 * this.calls.length;
    for (let i = 0; i < 50 && (await this.server.sample()).media.publishers !== publishers; i++)
      await sleep(200);
  }

  /** True once every participant of `calls` receives audio and video from the other. */
  mediaFlows(calls: readonly Call[] = this.calls): boolean {
    return this.participants(calls).every((p) =>
      [...p.received.values()].every((c) => c.video > 0 && c.audio > 0),
    );
  }

  /** Per-participant counters, for a failure message. */
  describeMedia(calls: readonly Call[] = this.calls): string {
    return JSON.stringify(
      this.participants(calls).map((p) => [p.connectionId, p.totalSent(), [...p.received]]),
    );
  }

  /**
   * Measures one window of `ms` at the current load. The load generator's counters are read right
   * before each server sample, so both cover the same window.
   */
  async measure(ms: number): Promise<LoadWindow> {
    const t0 = this.totals();
    const l0 = performance.now();
    const c0 = process.cpuUsage();
    this.loadLoopDelay.reset();
    const [s0] = await Promise.all([this.server.sample(), this.floor.sample()]);
    await sleep(ms);
    const t1 = this.totals();
    const l1 = performance.now();
    const c1 = process.cpuUsage(c0);
    const loadLoopP99Ms = this.loadLoopDelay.percentile(99) / 1e6;
    const [s1, floorLoopP99Ms] = await Promise.all([this.server.sample(), this.floor.sample()]);
    return {
      calls: this.calls.length,
      streams: 2 * this.calls.length,
      wallS: (s1.wallMs - s0.wallMs) / 1000,
      loadWallS: (l1 - l0) / 1000,
      serverCpuS: cpuSeconds(s0, s1),
      loadCpuS: (c1.user + c1.system) / 1e6,
      forwarded: s1.media.forwardedPackets - s0.media.forwardedPackets,
      sent: t1.sent - t0.sent,
      received: t1.received - t0.received,
      serverRssMb: s1.rssBytes / 2 ** 20,
      serverLoopP99Ms: s1.loopDelayP99Ms,
      serverLoopMaxMs: s1.loopDelayMaxMs,
      loadLoopP99Ms,
      publishers: s1.media.publishers,
      floorLoopP99Ms,
    };
  }

  /** Stops every source, closes every participant, then the server. */
  async close(): Promise<void> {
    for (const source of this.sources) source.stop();
    this.loadLoopDelay.disable();
    this.floor.close();
    await Promise.allSettled(this.participants().map((p) => p.close()));
    await this.server.close();
  }

  private totals(): { sent: number; received: number } {
    const everyone = this.participants();
    return {
      sent: everyone.reduce((n, p) => n + p.totalSent(), 0),
      received: everyone.reduce((n, p) => n + p.totalReceived(), 0),
    };
  }

  /**
   * One replayer per publisher, their 10 ms ticks spread over the tick period: independent publishers
   * do not send in lock-step, and lock-step sending would let the server batch more packets per
   * wake-up as calls are added (an optimistic scaling factor).
   */
  private newSource(): RtpReplayer {
    const source = new RtpReplayer(this.recording);
    this.sources.push(source);
    setTimeout(() => source.start(), (this.sources.length * 3) % 10);
    return source;
  }
}
