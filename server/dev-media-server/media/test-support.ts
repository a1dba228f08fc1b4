/**
 * Test helpers for the media plane: a synthetic VP8/Opus source (one ffmpeg process, RTP over loopback UDP)
 * and werift peers that play the browser's part (sendonly offer for publishing, recvonly offer for subscribing).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useAbsSendTime,
  useOPUS,
  useSdesMid,
  useVP8,
} from 'werift';
import type { RTCRtpSender } from 'werift';
import { tolerateRepeatedHelloVerify } from './dtls.js';
import { isVp8KeyframeStart } from './keyframe.js';
import { withoutDefaultStunServer } from './peer.js';
import { Publisher } from './publisher.js';
import type { Kind, RouterContext } from './router-context.js';
import { Subscriber } from './subscriber.js';
import type { IceCandidate, MediaRouter } from './types.js';
import { waitFor } from '../../shared/test-support.js';

export type { Kind };

/** Bytes the fake publisher puts into a private header extension; must never reach a subscriber. */
export const MARKER_EXTENSION = { id: 14, payload: Buffer.from([0xab, 0xcd, 0xef]) };

export { waitFor };

/** Where a fake publisher's RTP comes from (serialized packets, one listener call per packet). */
export interface PacketSource {
  onPacket(listener: (kind: Kind, packet: Buffer) => void): () => void;
}

/**
 * A source that sends only what the test tells it to: hand-made VP8 packets (key frame or delta
 * frame, first packet of a frame or not), so a test knows exactly which picture a subscriber gets.
 */
export class ManualSource implements PacketSource {
  private readonly listeners = new Set<(kind: Kind, packet: Buffer) => void>();
  private sequenceNumber = 1000;
  private pictureId = 0;

  onPacket(listener: (kind: Kind, packet: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends one frame of `packets` VP8 packets; returns their sequence numbers. */
  sendFrame(frame: 'key' | 'delta', packets = 3): number[] {
    const pictureId = this.pictureId++ & 0x7fff;
    const sent: number[] = [];
    for (let i = 0; i < packets; i++) {
      const payload = vp8Payload({ start: i === 0, key: frame === 'key', pictureId });
      const header = new RtpHeader({
        payloadType: 96,
        sequenceNumber: this.sequenceNumber,
        timestamp: pictureId * 3000,
        ssrc: 1111,
        marker: i === packets - 1,
      });
      sent.push(this.sequenceNumber);
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      const raw = new RtpPacket(header, payload).serialize();
      for (const listener of this.listeners) listener('video', raw);
    }
    return sent;
  }
}

/** A VP8 RTP payload as Chrome sends it: extended descriptor with a 15-bit picture id, then the frame. */
export function vp8Payload(options: { start: boolean; key: boolean; pictureId: number }): Buffer {
  const descriptor = [
    0x80 | (options.start ? 0x10 : 0),
    0x80,
    0x80 | (options.pictureId >> 8),
    options.pictureId & 0xff,
  ];
  // Frame tag: bit 0 is P (0 = key frame); only meaningful on the first packet of a frame.
  const frameTag = options.start ? [options.key ? 0x10 : 0x11, 0x02, 0x00] : [0x42, 0x42, 0x42];
  return Buffer.from([...descriptor, ...frameTag, ...Array<number>(100).fill(0x42)]);
}

/** One live ffmpeg encoder (testsrc + sine → VP8 + Opus RTP) fanned out to any number of listeners. */
export class SyntheticSource implements PacketSource {
  private readonly listeners = new Set<(kind: Kind, packet: Buffer) => void>();
  private sockets: dgram.Socket[] = [];
  private ffmpeg: ChildProcess | undefined;
  packets: Record<Kind, number> = { audio: 0, video: 0 };

  onPacket(listener: (kind: Kind, packet: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(ffmpegPath = process.env.FFMPEG_PATH ?? 'ffmpeg'): Promise<void> {
    const ports: Record<Kind, number> = { audio: 0, video: 0 };
    for (const kind of ['video', 'audio'] as const) {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      ports[kind] = (socket.address() as AddressInfo).port;
      socket.on('message', (packet) => {
        const payloadType = (packet[1] ?? 0) & 0x7f;
        if (payloadType >= 72 && payloadType <= 76) return; // RTCP (sent to the same port)
        this.packets[kind]++;
        for (const listener of this.listeners) listener(kind, packet);
      });
      this.sockets.push(socket);
    }
    const rtp = (port: number): string => `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${port}`;
    this.ffmpeg = spawn(
      ffmpegPath,
      [
        ...['-hide_banner', '-loglevel', 'error', '-re'],
        ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15'],
        ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
        ...[
          '-map',
          '0:v',
          '-c:v',
          'libvpx',
          '-deadline',
          'realtime',
          '-cpu-used',
          '8',
          '-b:v',
          '300k',
        ],
        ...[
          '-g',
          '15',
          '-keyint_min',
          '15',
          '-pix_fmt',
          'yuv420p',
          '-payload_type',
          '96',
          '-ssrc',
          '1111',
        ],
        ...['-f', 'rtp', rtp(ports.video)],
        ...[
          '-map',
          '1:a',
          '-c:a',
          'libopus',
          '-ac',
          '2',
          '-b:a',
          '32k',
          '-payload_type',
          '111',
          '-ssrc',
          '2222',
        ],
        ...['-f', 'rtp', rtp(ports.audio)],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.ffmpeg.stderr?.on('data', (chunk: Buffer) =>
      process.stderr.write(`[synthetic ffmpeg] ${chunk.toString()}`),
    );
    await waitFor(
      'synthetic VP8/Opus RTP',
      () => this.packets.video > 0 && this.packets.audio > 0,
      10_000,
    );
  }

  async stop(): Promise<void> {
    const ffmpeg = this.ffmpeg;
    if (ffmpeg && ffmpeg.exitCode === null) {
      const exited = new Promise((resolve) => ffmpeg.once('exit', resolve));
      ffmpeg.kill('SIGKILL');
      await exited;
    }
    for (const socket of this.sockets) socket.close();
    this.sockets = [];
    this.listeners.clear();
  }
}

function clientConfig(): ConstructorParameters<typeof RTCPeerConnection>[0] {
  return {
    iceServers: [],
    iceUseIpv6: false,
    // Browsers bundle everything; werift's max-compat default would also leak the unbundled m-line's socket.
    bundlePolicy: 'max-bundle',
    codecs: { video: [useVP8()], audio: [useOPUS()] },
    headerExtensions: { video: [useSdesMid(), useAbsSendTime()], audio: [useSdesMid()] },
  };
}

function stripCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'))
    .join('\r\n');
}

interface ClientOptions {
  /** Hold our own candidates back and hand them to the router only when told (see `flushCandidates`). */
  holdCandidates?: boolean;
  /** Ignore the server's candidates (in the answer and trickled) so only the server can start ICE checks. */
  ignoreServerCandidates?: boolean;
}

abstract class FakeBrowserPeer {
  readonly pc = new RTCPeerConnection(clientConfig());
  readonly localCandidates: IceCandidate[] = [];
  readonly serverCandidates: IceCandidate[] = [];
  answerMs = 0;

  constructor(
    protected readonly router: MediaRouter,
    readonly endpointId: string,
    protected readonly options: ClientOptions = {},
  ) {
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate?.candidate) return;
      const wire: IceCandidate = {
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      };
      this.localCandidates.push(wire);
      if (!this.options.holdCandidates) this.router.addIceCandidate(this.endpointId, wire);
    });
  }

  flushCandidates(): void {
    for (const candidate of this.localCandidates)
      this.router.addIceCandidate(this.endpointId, candidate);
  }

  protected async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    withoutDefaultStunServer(this.pc, { iceServers: [] });
    await this.pc.setLocalDescription(offer);
    tolerateRepeatedHelloVerify(this.pc);
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local offer');
    return stripCandidates(sdp); // like a browser: candidates only trickle
  }

  protected async applyAnswer(sdpAnswer: string): Promise<void> {
    const sdp = this.options.ignoreServerCandidates ? stripCandidates(sdpAnswer) : sdpAnswer;
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  onServerCandidate = (candidate: IceCandidate): void => {
    this.serverCandidates.push(candidate);
    if (this.options.ignoreServerCandidates) return;
    this.pc
      .addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
      })
      .catch(() => undefined);
  };

  async connected(timeoutMs = 10_000): Promise<void> {
    await waitFor(
      `${this.endpointId} connected`,
      () => this.pc.connectionState === 'connected',
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

export class FakePublisher extends FakeBrowserPeer {
  readonly tracks: Record<Kind, MediaStreamTrack> = {
    video: new MediaStreamTrack({ kind: 'video' }),
    audio: new MediaStreamTrack({ kind: 'audio' }),
  };
  readonly senders: Partial<Record<Kind, RTCRtpSender>> = {};
  plisReceived = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    router: MediaRouter,
    readonly streamId: string,
    private readonly source: PacketSource,
    private readonly kinds: Kind[] = ['video', 'audio'],
    options: ClientOptions = {},
  ) {
    super(router, streamId, options);
  }

  private async prepare(): Promise<string> {
    for (const kind of this.kinds) {
      const transceiver = this.pc.addTransceiver(this.tracks[kind], { direction: 'sendonly' });
      this.senders[kind] = transceiver.sender;
      transceiver.sender.onPictureLossIndication.subscribe(() => this.plisReceived++);
    }
    this.unsubscribe = this.source.onPacket((kind, raw) => {
      if (!this.kinds.includes(kind)) return;
      const packet = RtpPacket.deSerialize(raw);
      packet.header.extensions = [{ id: MARKER_EXTENSION.id, payload: MARKER_EXTENSION.payload }];
      packet.header.extension = true;
      this.tracks[kind].writeRtp(packet);
    });
    return this.createOffer();
  }

  /** Creates and applies the local offer (gathering starts) without sending it. */
  prepareOffer(): Promise<string> {
    return this.prepare();
  }

  async publish(mode: 'publish' | 'republish' = 'publish'): Promise<string> {
    return this.sendOffer(await this.prepare(), mode);
  }

  async sendOffer(sdpOffer: string, mode: 'publish' | 'republish' = 'publish'): Promise<string> {
    const started = performance.now();
    const request = {
      streamId: this.streamId,
      sdpOffer,
      hasAudio: this.kinds.includes('audio'),
      hasVideo: this.kinds.includes('video'),
      onLocalCandidate: this.onServerCandidate,
    };
    const { sdpAnswer } =
      mode === 'publish'
        ? await this.router.publish(request)
        : await this.router.republish(request);
    this.answerMs = performance.now() - started;
    await this.applyAnswer(sdpAnswer);
    return sdpAnswer;
  }

  override async close(): Promise<void> {
    this.unsubscribe?.();
    await super.close();
  }
}

export interface ReceivedPacket {
  /** Video only: the first packet of a VP8 key frame. */
  keyframeStart: boolean;
  ssrc: number;
  sequenceNumber: number;
  timestamp: number;
  extensions: { id: number; payload: Buffer }[];
}

export class FakeSubscriber extends FakeBrowserPeer {
  readonly received: Record<Kind, ReceivedPacket[]> = { audio: [], video: [] };
  readonly senderSsrcs = new Set<number>();

  constructor(
    router: MediaRouter,
    endpointId: string,
    readonly streamId: string,
    private readonly kinds: Kind[] = ['video', 'audio'],
    options: ClientOptions = {},
  ) {
    super(router, endpointId, options);
    this.pc.onTrack.subscribe((track) => {
      const kind: Kind = track.kind === 'audio' ? 'audio' : 'video';
      track.onReceiveRtp.subscribe((rtp) => {
        this.received[kind].push({
          keyframeStart: kind === 'video' && isVp8KeyframeStart(rtp.payload),
          ssrc: rtp.header.ssrc,
          sequenceNumber: rtp.header.sequenceNumber,
          timestamp: rtp.header.timestamp,
          extensions: rtp.header.extensions.map((e) => ({
            id: e.id,
            payload: Buffer.from(e.payload),
          })),
        });
      });
    });
  }

  async subscribe(mode: 'subscribe' | 'resubscribe' = 'subscribe'): Promise<string> {
    const sdpAnswer = await this.requestAnswer(mode);
    await this.applyAnswer(sdpAnswer);
    return sdpAnswer;
  }

  /** Offers and returns the server's answer without applying it: this peer cannot connect yet. */
  async requestAnswer(mode: 'subscribe' | 'resubscribe' = 'subscribe'): Promise<string> {
    for (const kind of this.kinds) this.pc.addTransceiver(kind, { direction: 'recvonly' });
    const sdpOffer = await this.createOffer();
    const started = performance.now();
    const request = {
      endpointId: this.endpointId,
      streamId: this.streamId,
      sdpOffer,
      onLocalCandidate: this.onServerCandidate,
    };
    const { sdpAnswer } =
      mode === 'subscribe'
        ? await this.router.subscribe(request)
        : await this.router.resubscribe(request);
    this.answerMs = performance.now() - started;
    return sdpAnswer;
  }

  /** Applies an answer obtained with {@link requestAnswer}. */
  acceptAnswer(sdpAnswer: string): Promise<void> {
    return this.applyAnswer(sdpAnswer);
  }

  /** Sends `count` PLIs for the video stream right away (as a browser would after loss). */
  async sendPlis(count: number): Promise<void> {
    const video = this.pc.getTransceivers().find((t) => t.kind === 'video');
    const ssrc = this.received.video.at(-1)?.ssrc;
    if (!video || ssrc === undefined) throw new Error('no video received yet');
    for (let i = 0; i < count; i++) await video.receiver.sendRtcpPLI(ssrc);
  }
}

/** Minimal ZIP reader for assertions: central directory → entry name → uncompressed bytes (store/deflate). */
export function readZip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString();
    const localData =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(localData, localData + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A minimal router over a context, so a test can reach the entities (and their peers) directly. */
export function routerOver(ctx: RouterContext): MediaRouter {
  const endpoint = (id: string): Publisher | Subscriber | undefined =>
    ctx.publishers.get(id) ?? ctx.subscribers.get(id);
  return {
    async publish(req) {
      const publisher = new Publisher(ctx, req);
      ctx.publishers.set(req.streamId, publisher);
      return { sdpAnswer: await publisher.publish(req) };
    },
    async subscribe(req) {
      const publisher = ctx.publishers.get(req.streamId);
      if (!publisher) throw new Error('not published');
      const subscriber = new Subscriber(ctx, req, publisher);
      ctx.subscribers.set(req.endpointId, subscriber);
      return { sdpAnswer: await subscriber.subscribe(req) };
    },
    addIceCandidate(id, candidate) {
      const target = endpoint(id);
      if (target) target.addIceCandidate(candidate);
      else ctx.pending.add(id, candidate);
    },
    release: (id) => endpoint(id)?.close(),
    republish: () => Promise.reject(new Error('unused')),
    resubscribe: () => Promise.reject(new Error('unused')),
    startRecording: () => Promise.reject(new Error('unused')),
    stats: () => ({
      peerConnections: ctx.peers.size,
      publishers: ctx.publishers.size,
      subscribers: ctx.subscribers.size,
      recorders: 0,
      forwardedPackets: ctx.forwardedPackets,
      pendingCandidates: ctx.pending.size,
    }),
    close: () => Promise.resolve(),
  };
}
