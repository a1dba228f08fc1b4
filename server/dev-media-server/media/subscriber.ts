/**
 * A `Subscriber` is one browser's view of one {@link Publisher}: the browser's recvonly offer answered
 * sendonly on its own {@link Peer}, one output track per kind the publisher sends, and the relay of
 * the browser's keyframe requests upstream. A resubscribe negotiates a new peer under the same
 * endpoint id. Closing a subscriber closes its peer and detaches it from its publisher.
 */
import {
  MediaStream,
  MediaStreamTrack,
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
} from 'werift';
import type { PeerConfig, RTCRtpReceiver, RTCRtpSender, RtcpPacket, RtpPacket } from 'werift';
import { Endpoint } from './endpoint.js';
import { sendingMediaConfig } from './peer-config.js';
import { HeldVideo } from './keyframe.js';
import { Peer } from './peer.js';
import type { Publisher } from './publisher.js';
import type { Kind, RouterContext } from './router-context.js';
import { errorMessage } from '../../shared/errors.js';
import type { SubscribeRequest } from './types.js';

/** RTCP PSFB FMT 4 (RFC 5104 Full Intra Request). */
const PSFB_FIR = 4;

interface Output {
  track: MediaStreamTrack;
  sender: RTCRtpSender;
  receiver: RTCRtpReceiver;
  /** Publisher generation last forwarded to this sender (source switch ⇒ continuity rewrite). */
  generation: number | undefined;
}

type Outputs = Partial<Record<Kind, Output>>;

function subscriberConfig(base: Partial<PeerConfig>): Partial<PeerConfig> {
  return { ...base, ...sendingMediaConfig() };
}

export class Subscriber extends Endpoint {
  readonly streamId: string;
  private outputs: Outputs = {};
  /** False while the current peer connection is not connected yet: video is held, audio dropped. */
  private mediaUp = false;
  private readonly held = new HeldVideo<RtpPacket>();

  /** Creates the subscriber and attaches it to `publisher` (negotiation follows). */
  constructor(
    ctx: RouterContext,
    req: SubscribeRequest,
    readonly publisher: Publisher,
  ) {
    super(ctx, req.endpointId);
    this.streamId = req.streamId;
    publisher.subscribers.add(this);
  }

  /** First negotiation (`receiveVideoFrom`). On failure the subscriber is closed. */
  async subscribe(req: SubscribeRequest): Promise<string> {
    const started = Date.now();
    this.awaitMedia();
    try {
      const sdpAnswer = await this.negotiateAndCommit(req, 'negotiating');
      this.ctx.logger.debug('subscriber answered', {
        endpointId: this.endpointId,
        ms: Date.now() - started,
      });
      return sdpAnswer;
    } catch (error) {
      if (this.ctx.subscribers.get(this.endpointId) === this) this.close();
      throw new Error(`subscribe ${this.endpointId} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  /** A replacement peer (reconnectStream on a subscriber). */
  async resubscribe(req: SubscribeRequest): Promise<string> {
    this.renegotiating = true;
    this.awaitMedia();
    try {
      return await this.negotiateAndCommit(req, 'renegotiating');
    } catch (error) {
      this.renegotiating = false;
      throw new Error(`resubscribe ${this.endpointId} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Writes one forwarded packet of `generation` to the output of `kind`; false when there is none.
   * A source switch (republish) keeps this subscriber's seq/timestamp running on from where they were.
   */
  write(kind: Kind, generation: number, packet: RtpPacket): boolean {
    if (this.isClosed) return false;
    const output = this.outputs[kind];
    if (!this.mediaUp) {
      // The peer's connected event is the cue; a DTLS transport that is up without it (an event
      // missed or reordered under load) must not keep this subscriber waiting for ever.
      if (output?.sender.dtlsTransport.state !== 'connected' || this.renegotiating) {
        if (kind === 'video') this.held.hold(generation, packet);
        return false;
      }
      this.mediaConnected();
    }
    if (!output) return false;
    if (output.generation !== generation) {
      if (output.generation !== undefined) output.sender.replaceRTP(packet.header);
      output.generation = generation;
    }
    output.track.writeRtp(packet);
    return true;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.publisher.subscribers.delete(this);
    for (const output of Object.values(this.outputs)) output.track.stop();
    this.outputs = {};
    this.closePeer();
    if (this.ctx.subscribers.get(this.endpointId) === this)
      this.ctx.subscribers.delete(this.endpointId);
    this.ctx.pending.delete(this.endpointId);
  }

  private async negotiateAndCommit(req: SubscribeRequest, what: string): Promise<string> {
    const { peer, sdpAnswer, outputs } = await this.negotiate(req);
    if (this.isClosed) {
      peer.close();
      throw new Error(`endpoint was released while ${what}`);
    }
    this.commit(peer, outputs);
    return sdpAnswer;
  }

  private async negotiate(
    req: SubscribeRequest,
  ): Promise<{ peer: Peer; sdpAnswer: string; outputs: Outputs }> {
    const publisher = this.publisher;
    const peer = new Peer(
      this.ctx,
      this.endpointId,
      subscriberConfig(this.ctx.baseConfig),
      req.sdpOffer,
    );
    const outputs: Outputs = {};
    try {
      const transceivers = await peer.acceptOffer();
      const msid = new MediaStream({ id: req.streamId });
      for (const transceiver of transceivers) {
        const kind: Kind = transceiver.kind === 'audio' ? 'audio' : 'video';
        const wanted = kind === 'audio' ? publisher.hasAudio : publisher.hasVideo;
        if (!wanted || outputs[kind]) {
          transceiver.setDirection('inactive');
          continue;
        }
        const track = new MediaStreamTrack({ kind });
        await transceiver.sender.replaceTrack(track);
        transceiver.sender.setStreams([msid]);
        transceiver.setDirection('sendonly');
        outputs[kind] = {
          track,
          sender: transceiver.sender,
          receiver: transceiver.receiver,
          generation: undefined,
        };
      }
      const sdpAnswer = await peer.answer(
        req.onLocalCandidate,
        () => this.peer === peer && !this.isClosed,
      );
      return { peer, sdpAnswer, outputs };
    } catch (error) {
      peer.close();
      throw error;
    }
  }

  private commit(peer: Peer, outputs: Outputs): void {
    const oldOutputs = this.outputs;
    const oldPeer = this.adoptPeer(peer);
    this.outputs = outputs;
    if (oldPeer && oldPeer !== peer) {
      for (const output of Object.values(oldOutputs)) output.track.stop();
      oldPeer.close();
    }
    for (const output of Object.values(outputs)) this.relayKeyframeRequests(output);
    peer.onConnected(() => {
      if (this.peer === peer && !this.isClosed) this.mediaConnected();
    });
    this.flushPending();
  }

  /**
   * A subscriber sees nothing until a key frame: the publisher is asked for one as soon as the
   * subscription is (re)negotiated, and the video from that key frame on is held until the peer
   * connects, instead of asking only once it has connected and waiting a round trip to the publisher.
   */
  private awaitMedia(): void {
    this.mediaUp = false;
    this.held.take(this.publisher.generation);
    this.publisher.keyframes.request();
  }

  /** The media path is up: send the held picture, or ask for a key frame if none arrived meanwhile. */
  private mediaConnected(): void {
    this.mediaUp = true;
    const generation = this.publisher.generation;
    const held = this.held.take(generation);
    for (const packet of held) {
      if (this.write('video', generation, packet)) this.ctx.forwardedPackets++;
    }
    if (held.length === 0) this.publisher.keyframes.request();
    this.ctx.logger.debug('subscriber connected', {
      endpointId: this.endpointId,
      heldPackets: held.length,
    });
  }

  /**
   * Subscriber PLI/FIR → upstream PLI (rate-limited by the publisher's limiter). werift routes a PSFB by
   * its *sender* SSRC first, so when the browser's RTCP SSRC is one it declared in its offer the packet
   * lands on our receiver of that m-line instead of the sender: listen on both.
   */
  private relayKeyframeRequests(output: Output): void {
    const relay = (rtcp: RtcpPacket, fromReceiver: boolean): void => {
      if (!(rtcp instanceof RtcpPayloadSpecificFeedback)) return;
      const feedback = rtcp.feedback;
      const isPli = feedback instanceof PictureLossIndication;
      if (!isPli && feedback.count !== PSFB_FIR) return;
      if (fromReceiver && isPli && feedback.mediaSsrc !== output.sender.ssrc) return;
      this.ctx.logger.debug('subscriber keyframe request', {
        endpointId: this.endpointId,
        type: isPli ? 'PLI' : 'FIR',
      });
      this.publisher.keyframes.request();
    };
    output.sender.onRtcp.subscribe((rtcp) => relay(rtcp, false));
    output.receiver.onRtcp.subscribe((rtcp) => relay(rtcp, true));
  }
}
