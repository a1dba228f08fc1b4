/**
 * The media of one published LiveKit track: the source received on the publisher's peer connection
 * (one werift track, or one per simulcast layer, of which the lowest is forwarded: always sent, and
 * a dev server needs no layer switching) and the down tracks that forward it to subscribers. RTP is
 * forwarded without transcoding; a new subscription and a subscriber's PLI/FIR ask the publisher
 * for a key frame through the shared {@link KeyframeLimiter}. A subscription asks when it is created
 * and holds the picture that arrives until its subscriber can take it, as the OpenVidu mode's
 * subscribers do (media/subscriber.ts).
 */
import { PictureLossIndication, RtcpPayloadSpecificFeedback } from 'werift';
import type {
  MediaStreamTrack,
  RTCRtpReceiver,
  RTCRtpSender,
  RTCRtpTransceiver,
  RtcpPacket,
  RtpPacket,
} from 'werift';
import type { TrackInfo } from '@livekit/protocol';
import { HeldVideo, KeyframeLimiter } from '../media/keyframe.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../logger.js';

/** Minimum spacing of PLIs sent to one publisher. */
const KEYFRAME_INTERVAL_MS = 1000;
/** RTCP PSFB FMT 4 (RFC 5104 Full Intra Request). */
const PSFB_FIR = 4;
/** Simulcast rids in livekit-client's order, lowest quality first. */
const LAYER_ORDER = ['q', 'h', 'f'];

export type MediaKind = 'audio' | 'video';

interface Source {
  track: MediaStreamTrack;
  receiver: RTCRtpReceiver;
  lastSsrc: number | undefined;
  dispose: () => void;
}

function layerRank(rid: string | undefined): number {
  if (!rid) return -1;
  const at = LAYER_ORDER.indexOf(rid);
  return at < 0 ? LAYER_ORDER.length : at;
}

export class PublishedTrack {
  readonly keyframes: KeyframeLimiter;
  readonly downTracks = new Set<DownTrack>();
  private source: Source | undefined;
  /** Bumped on each source switch: down tracks then keep their sequence numbers and timestamps running. */
  private generation = 0;
  private closed = false;
  /** Listeners told when the forwarded source changes (the recorder re-reads it). */
  readonly sourceListeners = new Set<() => void>();

  constructor(
    readonly info: TrackInfo,
    readonly kind: MediaKind,
    readonly transceiver: RTCRtpTransceiver,
    private readonly logger: Logger,
    /** Counts one packet forwarded to a subscriber. */
    readonly forwarded: () => void,
  ) {
    this.keyframes = new KeyframeLimiter(() => this.sendPli(), KEYFRAME_INTERVAL_MS);
  }

  /** Bumped on each source switch (the down tracks rewrite their numbering then). */
  get sourceGeneration(): number {
    return this.generation;
  }

  get sid(): string {
    return this.info.sid;
  }

  /** The werift track forwarded now (the recorder reads it). */
  get sourceTrack(): MediaStreamTrack | undefined {
    return this.source?.track;
  }

  /** Adds a received track (a simulcast layer or the only one); the lowest layer is forwarded. */
  attach(track: MediaStreamTrack, receiver: RTCRtpReceiver): void {
    if (this.closed) return;
    if (this.source && layerRank(track.rid) >= layerRank(this.source.track.rid)) return;
    this.source?.dispose();
    const source: Source = { track, receiver, lastSsrc: undefined, dispose: () => undefined };
    const sub = track.onReceiveRtp.subscribe((rtp) => this.forward(source, rtp));
    source.dispose = () => sub.unSubscribe();
    this.source = source;
    this.generation++;
    for (const listener of this.sourceListeners) listener();
    if (this.downTracks.size > 0) this.keyframes.request();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keyframes.close();
    this.source?.dispose();
    this.source = undefined;
    for (const down of [...this.downTracks]) down.close();
    this.sourceListeners.clear();
  }

  private forward(source: Source, rtp: RtpPacket): void {
    if (this.source !== source || this.closed) return;
    source.lastSsrc = rtp.header.ssrc;
    for (const down of this.downTracks) {
      if (down.write(rtp, this.generation)) this.forwarded();
    }
  }

  private sendPli(): boolean {
    const source = this.source;
    if (!source || this.kind !== 'video' || this.closed) return false;
    const ssrc = source.lastSsrc ?? source.track.ssrc;
    if (ssrc === undefined) return false;
    source.receiver
      .sendRtcpPLI(ssrc)
      .catch((error: unknown) =>
        this.logger.debug('PLI send failed', { error: errorMessage(error) }),
      );
    return true;
  }
}

/**
 * One subscriber's copy of a {@link PublishedTrack}: a sendonly transceiver on its subscriber PC. It
 * starts forwarding once the subscriber can receive it (`negotiated()`: the offer carrying its
 * m-section was answered, and the subscriber's DTLS is up). Until then it keeps the video from the
 * newest key frame start on ({@link HeldVideo}) and sends that first, so a joining subscriber does
 * not wait for a key frame asked for only once it connected: the publisher's limiter allows one PLI
 * a second, and that second request came a second after the first (~800 ms of join-to-first-frame).
 */
export class DownTrack {
  private closed = false;
  /** Source generation last written (a switch rewrites sequence numbers and timestamps). */
  private generation: number | undefined;
  private forwarding = false;
  private readonly held = new HeldVideo<RtpPacket>();

  constructor(
    readonly published: PublishedTrack,
    readonly track: MediaStreamTrack,
    readonly sender: RTCRtpSender,
    receiver: RTCRtpReceiver,
    private readonly logger: Logger,
    private readonly negotiated: () => boolean,
    private readonly onClose: (down: DownTrack) => void,
  ) {
    published.downTracks.add(this);
    const relay = (rtcp: RtcpPacket, fromReceiver: boolean): void => {
      if (!(rtcp instanceof RtcpPayloadSpecificFeedback)) return;
      const feedback = rtcp.feedback;
      const isPli = feedback instanceof PictureLossIndication;
      if (!isPli && feedback.count !== PSFB_FIR) return;
      if (fromReceiver && isPli && feedback.mediaSsrc !== sender.ssrc) return;
      this.published.keyframes.request();
    };
    sender.onRtcp.subscribe((rtcp) => relay(rtcp, false));
    receiver.onRtcp.subscribe((rtcp) => relay(rtcp, true));
    // The picture the subscriber will start with: asked for now, held until it can receive.
    published.keyframes.request();
  }

  /** Whether it forwards yet (see {@link start}). */
  get isForwarding(): boolean {
    return this.forwarding;
  }

  get connected(): boolean {
    return this.sender.dtlsTransport?.state === 'connected';
  }

  /**
   * Starts forwarding if the subscriber can receive now: the held picture first, or, when none
   * arrived, a key frame request. Called when the subscriber's answer is applied and when it
   * connects, and by the next packet.
   */
  start(): void {
    if (this.forwarding || this.closed || !this.connected || !this.negotiated()) return;
    this.forwarding = true;
    const generation = this.published.sourceGeneration;
    const held = this.held.take(generation);
    for (const packet of held) if (this.send(packet, generation)) this.published.forwarded();
    if (held.length === 0) this.published.keyframes.request();
  }

  /** Forwards (or, before {@link start}, holds) a copy of `rtp`; false when nothing was sent. */
  write(rtp: RtpPacket, generation: number): boolean {
    if (this.closed) return false;
    this.start();
    if (!this.forwarding) {
      if (this.published.kind === 'video') this.held.hold(generation, rtp);
      return false;
    }
    return this.connected && this.send(rtp, generation);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held.take(-1);
    this.published.downTracks.delete(this);
    this.track.stop();
    this.onClose(this);
  }

  /** Sends a copy of `rtp` (header extensions dropped: the sender writes its own). */
  private send(rtp: RtpPacket, generation: number): boolean {
    const packet = rtp.clone();
    packet.header.extensions = [];
    packet.header.extension = false;
    if (this.generation !== generation) {
      if (this.generation !== undefined) this.sender.replaceRTP(packet.header, true);
      this.generation = generation;
    }
    try {
      this.track.writeRtp(packet);
    } catch (error) {
      this.logger.debug('down track write failed', { error: errorMessage(error) });
      return false;
    }
    return true;
  }
}
