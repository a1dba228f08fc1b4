/**
 * A `Publisher` is one published stream: the browser's sendonly offer answered recvonly on its own
 * {@link Peer}, its audio/video sources, and the subscribers its RTP is forwarded to. A republish
 * (reconnectStream) negotiates a new peer under the same stream id and bumps the generation, so
 * subscribers keep receiving with continuous sequence numbers. Closing a publisher closes its
 * subscribers and its peer.
 */
import type { MediaStreamTrack, PeerConfig, RTCRtpTransceiver, RtpPacket } from 'werift';
import { Endpoint } from './endpoint.js';
import { receivingMediaConfig } from './peer-config.js';
import { KeyframeLimiter } from './keyframe.js';
import { PUBLISHER_REMB_BPS, REMB_INTERVAL_MS, sendRemb } from './remb.js';
import { Peer } from './peer.js';
import type { RecordableStream, StreamTracks } from './recorder.js';
import type { Kind, RouterContext } from './router-context.js';
import { errorMessage } from '../../shared/errors.js';
import type { Subscriber } from './subscriber.js';
import type { PublishRequest } from './types.js';

/** Minimum spacing of PLIs sent to one publisher. */
const KEYFRAME_INTERVAL_MS = 1000;

export interface SourceTrack {
  track: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
  /** SSRC of the latest packet, in case the offer carried no a=ssrc. */
  lastSsrc?: number;
}

type Sources = Partial<Record<Kind, SourceTrack>>;

interface Negotiated {
  peer: Peer;
  sdpAnswer: string;
  sources: Sources;
  disposers: (() => void)[];
}

function publisherConfig(base: Partial<PeerConfig>): Partial<PeerConfig> {
  return { ...base, ...receivingMediaConfig() };
}

/** Strips header extensions in place (the sender writes its own negotiated ones). */
function stripExtensions(packet: RtpPacket): RtpPacket {
  packet.header.extensions = [];
  packet.header.extension = false;
  return packet;
}

export class Publisher extends Endpoint {
  readonly streamId: string;
  hasAudio: boolean;
  hasVideo: boolean;
  /** Bumped on each republish; packets from other generations are not forwarded. */
  generation = 0;
  private sources: Sources = {};
  private disposers: (() => void)[] = [];
  readonly subscribers = new Set<Subscriber>();
  readonly keyframes: KeyframeLimiter;
  private rembTimer: ReturnType<typeof setInterval> | undefined;

  constructor(ctx: RouterContext, req: PublishRequest) {
    super(ctx, req.streamId);
    this.streamId = req.streamId;
    this.hasAudio = req.hasAudio;
    this.hasVideo = req.hasVideo;
    this.keyframes = new KeyframeLimiter(() => this.requestKeyframeNow(), KEYFRAME_INTERVAL_MS);
  }

  /** First negotiation (`publishVideo`). On failure the publisher is closed. */
  async publish(req: PublishRequest): Promise<string> {
    const started = Date.now();
    try {
      const sdpAnswer = await this.negotiateAndCommit(req, 1, 'publishing');
      this.ctx.logger.debug('publisher answered', {
        streamId: this.streamId,
        ms: Date.now() - started,
      });
      return sdpAnswer;
    } catch (error) {
      if (this.ctx.publishers.get(this.streamId) === this) this.close();
      throw new Error(`publish ${this.streamId} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** A replacement peer under the same stream id; existing subscribers are re-fed from it. */
  async republish(req: PublishRequest): Promise<string> {
    this.renegotiating = true;
    const started = Date.now();
    try {
      const sdpAnswer = await this.negotiateAndCommit(req, this.generation + 1, 'republishing');
      this.ctx.logger.debug('publisher re-answered', {
        streamId: this.streamId,
        ms: Date.now() - started,
      });
      return sdpAnswer;
    } catch (error) {
      this.renegotiating = false;
      throw new Error(`republish ${this.streamId} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  /** The recorder's view of this stream. */
  recordable(): RecordableStream {
    return {
      streamId: this.streamId,
      hasAudio: this.hasAudio,
      hasVideo: this.hasVideo,
      tracks: (): StreamTracks => ({
        generation: this.generation,
        audio: this.sources.audio?.track,
        video: this.sources.video?.track,
      }),
      requestKeyframe: () => this.keyframes.request(),
    };
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.keyframes.close();
    if (this.rembTimer) clearInterval(this.rembTimer);
    this.rembTimer = undefined;
    for (const subscriber of [...this.subscribers]) subscriber.close();
    for (const dispose of this.disposers) dispose();
    this.disposers = [];
    this.sources = {};
    this.closePeer();
    if (this.ctx.publishers.get(this.streamId) === this) this.ctx.publishers.delete(this.streamId);
    this.ctx.pending.delete(this.endpointId);
    this.ctx.streamChanged(this.streamId, 'released');
  }

  private async negotiateAndCommit(
    req: PublishRequest,
    generation: number,
    what: string,
  ): Promise<string> {
    const negotiated = await this.negotiate(req, generation);
    if (this.isClosed) {
      for (const dispose of negotiated.disposers) dispose();
      negotiated.peer.close();
      throw new Error(`Stream ${this.streamId} was released while ${what}`);
    }
    this.hasAudio = req.hasAudio;
    this.hasVideo = req.hasVideo;
    this.commit(negotiated, generation);
    return negotiated.sdpAnswer;
  }

  private async negotiate(req: PublishRequest, generation: number): Promise<Negotiated> {
    const peer = new Peer(
      this.ctx,
      this.endpointId,
      publisherConfig(this.ctx.baseConfig),
      req.sdpOffer,
    );
    const sources: Sources = {};
    const disposers: (() => void)[] = [];
    try {
      this.wireTracks(peer, generation, sources, disposers);
      const transceivers = await peer.acceptOffer();
      for (const transceiver of transceivers) transceiver.setDirection('recvonly');
      const sdpAnswer = await peer.answer(
        req.onLocalCandidate,
        () => this.peer === peer && !this.isClosed,
      );
      return { peer, sdpAnswer, sources, disposers };
    } catch (error) {
      for (const dispose of disposers) dispose();
      peer.close();
      throw error;
    }
  }

  /** Attaches the remote tracks of `peer` as the sources of `generation`. */
  private wireTracks(
    peer: Peer,
    generation: number,
    staged: Sources,
    disposers: (() => void)[],
  ): void {
    const pc = peer.pc;
    const sub = pc.onTrack.subscribe((track) => {
      const transceiver = pc
        .getTransceivers()
        .find((t) => t.receiver.track === track || t.receiver.tracks.includes(track));
      if (!transceiver) return;
      const kind: Kind = track.kind === 'audio' ? 'audio' : 'video';
      const source: SourceTrack = { track, transceiver };
      staged[kind] = source;
      const rtpSub = track.onReceiveRtp.subscribe((rtp) =>
        this.forward(kind, generation, source, rtp),
      );
      disposers.push(rtpSub.unSubscribe);
    });
    disposers.push(sub.unSubscribe);
  }

  private commit({ peer, sources, disposers }: Negotiated, generation: number): void {
    const oldDisposers = this.disposers;
    const oldPeer = this.adoptPeer(peer);
    this.generation = generation;
    this.sources = sources;
    this.disposers = disposers;
    for (const dispose of oldDisposers) dispose();
    if (oldPeer && oldPeer !== peer) oldPeer.close();
    this.flushPending();
    peer.onConnected(() => {
      if (this.peer === peer && this.subscribers.size > 0) this.keyframes.request();
    });
    this.rembTimer ??= setInterval(() => this.sendRemb(), REMB_INTERVAL_MS);
    this.rembTimer.unref();
    this.ctx.streamChanged(this.streamId, 'published');
  }

  /** Tells the browser what the link carries (see remb.ts). */
  private sendRemb(): void {
    const video = this.sources.video;
    const ssrc = video && (video.track.ssrc ?? video.lastSsrc);
    if (!video || ssrc === undefined || this.isClosed) return;
    const cap = this.ctx.impairmentFor(this.streamId)?.rateKbps;
    const bps = cap ? Math.min(cap * 1000, PUBLISHER_REMB_BPS) : PUBLISHER_REMB_BPS;
    sendRemb(video.transceiver.receiver, ssrc, bps).catch((error: unknown) =>
      this.ctx.logger.debug('REMB send failed', { error: errorMessage(error) }),
    );
  }

  private forward(kind: Kind, generation: number, source: SourceTrack, rtp: RtpPacket): void {
    if (this.generation !== generation || this.isClosed) return;
    source.lastSsrc = rtp.header.ssrc;
    if (this.subscribers.size === 0) return;
    const packet = stripExtensions(rtp.clone());
    for (const subscriber of this.subscribers) {
      if (subscriber.write(kind, generation, packet)) this.ctx.forwardedPackets++;
    }
  }

  private requestKeyframeNow(): boolean {
    const video = this.sources.video;
    if (!video || this.isClosed) return false;
    const ssrc = video.track.ssrc ?? video.lastSsrc;
    if (ssrc === undefined) return false;
    video.transceiver.receiver
      .sendRtcpPLI(ssrc)
      .catch((error: unknown) =>
        this.ctx.logger.debug('PLI send failed', { error: errorMessage(error) }),
      );
    return true;
  }
}
