/**
 * A recorded VP8 + Opus RTP stream, replayed in a loop at real-time pace. ffmpeg encodes a few seconds
 * of a test pattern and a sine tone once (RTP over loopback UDP, faster than real time); after that the
 * load generator only copies packets, so no encoder competes with the server for the CPU during a
 * measurement window, and every run sends the same bytes.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './report.js';

export type Kind = 'audio' | 'video';

const CLOCK: Record<Kind, number> = { video: 90_000, audio: 48_000 };

export interface RecordingOptions {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
  audioKbps: number;
  ffmpegPath?: string;
}

export interface RecordedTrack {
  kind: Kind;
  packets: Buffer[];
  /** Seconds from the first packet, from the RTP timestamps. */
  offsets: number[];
  /** Length of one loop in seconds (last timestamp + one frame). */
  loopSeconds: number;
  /** Sequence-number and timestamp advance per loop. */
  seqStep: number;
  tsStep: number;
}

export interface RtpRecording {
  tracks: Record<Kind, RecordedTrack>;
  options: RecordingOptions;
  /** Average packets per second of both tracks together (one stream). */
  packetsPerSecond: number;
  /** Average bit rate of one stream (RTP payload + header), kbit/s. */
  kbps: number;
}

function toTrack(kind: Kind, raw: Buffer[], frameTicks: number): RecordedTrack {
  if (raw.length < 10) throw new Error(`recorded only ${raw.length} ${kind} packets`);
  const first = raw[0] as Buffer;
  const seq0 = first.readUInt16BE(2);
  const ts0 = first.readUInt32BE(4);
  raw.forEach((packet, i) => {
    const seq = packet.readUInt16BE(2);
    if (seq !== ((seq0 + i) & 0xffff)) {
      throw new Error(`${kind} recording has a gap or reordering at packet ${i} (UDP drop?)`);
    }
  });
  const offsets = raw.map((p) => ((p.readUInt32BE(4) - ts0) >>> 0) / CLOCK[kind]);
  const tsStep = ((((raw.at(-1) as Buffer).readUInt32BE(4) - ts0) >>> 0) + frameTicks) >>> 0;
  return {
    kind,
    packets: raw,
    offsets,
    loopSeconds: tsStep / CLOCK[kind],
    seqStep: raw.length,
    tsStep,
  };
}

/** Encodes `options.seconds` of VP8 + Opus and captures the RTP packets in memory. */
export async function recordRtp(options: RecordingOptions): Promise<RtpRecording> {
  const captured: Record<Kind, Buffer[]> = { audio: [], video: [] };
  const ports: Record<Kind, number> = { audio: 0, video: 0 };
  const sockets: dgram.Socket[] = [];
  for (const kind of ['video', 'audio'] as const) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    ports[kind] = (socket.address() as AddressInfo).port;
    socket.on('message', (packet) => {
      const payloadType = (packet[1] ?? 0) & 0x7f;
      if (payloadType >= 72 && payloadType <= 76) return; // RTCP sender reports on the same port
      captured[kind].push(packet);
    });
    sockets.push(socket);
  }
  const rtp = (port: number): string => `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${port}`;
  const { seconds, width, height, fps } = options;
  const ffmpeg = spawn(
    options.ffmpegPath ?? process.env['FFMPEG_PATH'] ?? 'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error'],
      // Input options, per input: 4× real time (no UDP drops on loopback), `seconds` long.
      ...['-readrate', '4', '-t', String(seconds), '-f', 'lavfi'],
      ...['-i', `testsrc=size=${width}x${height}:rate=${fps}`],
      ...['-readrate', '4', '-t', String(seconds), '-f', 'lavfi'],
      ...['-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8'],
      ...['-b:v', `${options.videoKbps}k`, '-g', String(fps), '-keyint_min', String(fps)],
      ...['-pix_fmt', 'yuv420p', '-payload_type', '96', '-ssrc', '1111', '-f', 'rtp'],
      rtp(ports.video),
      ...['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', `${options.audioKbps}k`],
      ...['-payload_type', '111', '-ssrc', '2222', '-f', 'rtp', rtp(ports.audio)],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      ffmpeg.kill('SIGKILL');
      reject(new Error('ffmpeg recording took more than 60 s'));
    }, 60_000);
    ffmpeg.once('error', reject);
    ffmpeg.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`);
  // The last datagrams may still be in flight on loopback.
  let last = -1;
  await waitUntil(
    'the last RTP packets',
    () => {
      const total = captured.audio.length + captured.video.length;
      const settled = total === last;
      last = total;
      return settled;
    },
    5_000,
  );
  for (const socket of sockets) socket.close();
  const tracks = {
    video: toTrack('video', captured.video, Math.round(CLOCK.video / fps)),
    audio: toTrack('audio', captured.audio, 960), // 20 ms Opus frames
  };
  const bytes = [...tracks.video.packets, ...tracks.audio.packets].reduce(
    (n, p) => n + p.length,
    0,
  );
  const duration = tracks.video.loopSeconds;
  return {
    tracks,
    options,
    packetsPerSecond:
      tracks.video.packets.length / tracks.video.loopSeconds +
      tracks.audio.packets.length / tracks.audio.loopSeconds,
    kbps: (bytes * 8) / duration / 1000,
  };
}

/**
 * Replays a recording in a loop at real-time pace to every listener (each gets the same packet with
 * sequence numbers and timestamps continued across loops). Timer-driven, 10 ms granularity.
 */
export class RtpReplayer {
  private readonly listeners = new Set<(kind: Kind, packet: Buffer) => void>();
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private readonly cursor: Record<Kind, { loop: number; index: number }> = {
    video: { loop: 0, index: 0 },
    audio: { loop: 0, index: 0 },
  };
  /** Packets emitted per kind (each counted once, whatever the number of listeners). */
  readonly emitted: Record<Kind, number> = { audio: 0, video: 0 };

  constructor(private readonly recording: RtpRecording) {}

  onPacket(listener: (kind: Kind, packet: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer) return;
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), 10);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private tick(): void {
    const now = (performance.now() - this.started) / 1000;
    for (const kind of ['video', 'audio'] as const) {
      const track = this.recording.tracks[kind];
      const c = this.cursor[kind];
      // Bounded: at most one loop's worth of packets per tick, even after a long event-loop stall.
      for (let n = 0; n < track.packets.length; n++) {
        const due = c.loop * track.loopSeconds + (track.offsets[c.index] as number);
        if (due > now) break;
        const packet = Buffer.from(track.packets[c.index] as Buffer);
        packet.writeUInt16BE((packet.readUInt16BE(2) + c.loop * track.seqStep) & 0xffff, 2);
        packet.writeUInt32BE((packet.readUInt32BE(4) + c.loop * track.tsStep) >>> 0, 4);
        this.emitted[kind]++;
        for (const listener of this.listeners) listener(kind, packet);
        if (++c.index === track.packets.length) {
          c.index = 0;
          c.loop++;
        }
      }
    }
  }
}
