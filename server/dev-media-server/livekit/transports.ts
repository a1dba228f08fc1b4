/**
 * The two werift peer connections of a LiveKit participant (livekit-client's "v0" dual-PC mode):
 *  - {@link PublisherTransport}: the client offers, the server answers recvonly; it carries the
 *    client's tracks and its `_reliable`/`_lossy` data channels.
 *  - {@link SubscriberTransport}: the server offers; it carries one sendonly transceiver per
 *    subscribed track (stream id `<participant sid>|<track sid>`, as livekit-client unpacks it) and
 *    the server's `_reliable`/`_lossy` data channels. Changes are batched into one renegotiation;
 *    an offer waits for the previous answer. Ended subscriptions keep their (idle) m-section.
 * ICE candidates trickle both ways as JSON `RTCIceCandidateInit` strings.
 */
import { MediaStream, MediaStreamTrack, RTCPeerConnection } from 'werift';
import type {
  PeerConfig,
  RTCDataChannel,
  RTCIceCandidate,
  RTCRtpReceiver,
  RTCRtpSender,
  RTCRtpTransceiver,
} from 'werift';
import { answerDtlsPassive, keepEarlyDtls } from '../media/dtls.js';
import { withoutDefaultStunServer } from '../media/peer.js';
import { receivingMediaConfig, sendingMediaConfig } from '../media/peer-config.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../logger.js';
import type { MediaKind } from './tracks.js';

export const RELIABLE_LABEL = '_reliable';
export const LOSSY_LABEL = '_lossy';

export interface SdpMediaSection {
  mid: string;
  kind: string;
  direction: string;
  /** Track id of `a=msid:<stream> <track>`. */
  trackId: string | undefined;
}

/** The m-sections of an SDP: mid, kind, direction and msid track id. */
export function parseMediaSections(sdp: string): SdpMediaSection[] {
  const sections: SdpMediaSection[] = [];
  let current: SdpMediaSection | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      current = {
        mid: '',
        kind: line.slice(2).split(' ')[0] ?? '',
        direction: 'sendrecv',
        trackId: undefined,
      };
      sections.push(current);
    } else if (current) {
      if (line.startsWith('a=mid:')) current.mid = line.slice(6).trim();
      else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line.trim()))
        current.direction = line.trim().slice(2);
      else if (line.startsWith('a=msid:')) current.trackId = line.slice(7).trim().split(' ')[1];
    }
  }
  return sections;
}

/**
 * Drops `a=ssrc` and `a=ssrc-group` from the m-sections that announce simulcast (`a=simulcast`), so
 * their layers are told apart by rid only. Firefox lists its layers' SSRCs as well as their rids;
 * werift then adds one more, rid-less track for the first SSRC and routes that SSRC's packets to it
 * as soon as they stop carrying the rid extension (after the first receiver reports), so the
 * forwarded `q` layer went silent after about ten frames. Without the lines werift learns each
 * SSRC from the packets that still carry the rid and keeps routing it to that rid's track.
 */
export function withoutSimulcastSsrcs(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const sections = sdp.split(/\r?\n(?=m=)/);
  return sections
    .map((section) => {
      if (!section.startsWith('m=') || !/^a=simulcast:/m.test(section)) return section;
      return section
        .split(/\r?\n/)
        .filter((line) => !line.startsWith('a=ssrc:') && !line.startsWith('a=ssrc-group:'))
        .join(eol);
    })
    .join(eol);
}

/** The browser's candidate as LiveKit carries it (`TrickleRequest.candidateInit`). */
export function candidateToJson(candidate: RTCIceCandidate): string {
  const line = candidate.candidate.startsWith('candidate:')
    ? candidate.candidate
    : `candidate:${candidate.candidate}`;
  return JSON.stringify({
    candidate: line,
    sdpMid: candidate.sdpMid ?? '0',
    sdpMLineIndex: candidate.sdpMLineIndex ?? 0,
  });
}

interface CandidateInit {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex?: number;
}

/** Parses `candidateInit`; undefined for junk and for the end-of-candidates marker. */
export function parseCandidateInit(json: string): CandidateInit | undefined {
  try {
    const value = JSON.parse(json) as Partial<CandidateInit>;
    if (typeof value.candidate !== 'string' || value.candidate.trim() === '') return undefined;
    return {
      candidate: value.candidate,
      ...(typeof value.sdpMid === 'string' ? { sdpMid: value.sdpMid } : {}),
      ...(typeof value.sdpMLineIndex === 'number' ? { sdpMLineIndex: value.sdpMLineIndex } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface TransportOptions {
  baseConfig: Partial<PeerConfig>;
  logger: Logger;
  /** A server candidate to trickle to the client. */
  onCandidate(candidateInit: string): void;
}

abstract class Transport {
  readonly pc: RTCPeerConnection;
  protected closed = false;
  private remoteSet = false;
  private readonly early: CandidateInit[] = [];
  /** The ICE generation whose checks {@link startRestartedIce} started, per ICE transport. */
  private readonly checked = new WeakMap<object, number>();
  /** The candidates trickled since the last offer was created (its ICE generation's). */
  protected trickled: string[] = [];
  /** Stops keeping the browser's early DTLS flight (set once the DTLS transport exists). */
  private stopKeepingDtls: (() => void) | undefined;

  constructor(
    protected readonly options: TransportOptions,
    config: Partial<PeerConfig>,
  ) {
    this.pc = new RTCPeerConnection({ ...options.baseConfig, ...config });
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate?.candidate || this.closed) return;
      const json = candidateToJson(candidate);
      this.trickled.push(json);
      options.onCandidate(json);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  addCandidate(json: string): void {
    const init = parseCandidateInit(json);
    if (!init || this.closed) return;
    if (!this.remoteSet) {
      if (this.early.length < 64) this.early.push(init);
      return;
    }
    this.pc
      .addIceCandidate(init)
      .catch((error: unknown) =>
        this.options.logger.debug('client ICE candidate rejected', { error: errorMessage(error) }),
      );
  }

  onConnected(listener: () => void): void {
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') listener();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopKeepingDtls?.();
    this.pc
      .close()
      .catch((error: unknown) =>
        this.options.logger.debug('peer connection close failed', { error: errorMessage(error) }),
      );
  }

  /**
   * werift restarts ICE (new credentials, no pairs) but, with DTLS still up, never runs the new
   * generation's checks: it pairs only the trickled candidates it can resolve, and queues the
   * browser's own checks until a start that never comes. A browser whose host candidates are mDNS
   * names (Firefox; Chrome outside the tests) is reached only through those checks, so after an ICE
   * restart its media stopped. Starts the checks of each restarted generation once.
   */
  protected startRestartedIce(): void {
    for (const dtls of this.pc.dtlsTransports) {
      const ice = dtls.iceTransport;
      const connection = ice.connection;
      if (this.closed || dtls.state !== 'connected' || connection.nominated) continue;
      if (!connection.remoteUsername || this.checked.get(ice) === connection.generation) continue;
      this.checked.set(ice, connection.generation);
      ice
        .start()
        .catch((error: unknown) =>
          this.options.logger.warn('ICE restart checks failed', { error: errorMessage(error) }),
        );
    }
  }

  /**
   * Keeps the browser's first DTLS flight until werift's DTLS server reads it (media/dtls.ts): the
   * browser sends its ClientHello once its side of the ICE pair is writable, usually before werift's
   * ICE agent has seen the nomination, and werift dropped it; the handshake then waited for the
   * browser's retransmission (about 200–400 ms of join-to-first-frame). Once, when the DTLS
   * transport exists.
   */
  protected keepEarlyDtls(): void {
    if (this.stopKeepingDtls || this.pc.dtlsTransports.length === 0) return;
    this.stopKeepingDtls = keepEarlyDtls(this.pc);
  }

  protected remoteDescriptionSet(): void {
    if (this.remoteSet) return;
    this.remoteSet = true;
    for (const init of this.early.splice(0)) this.pc.addIceCandidate(init).catch(() => undefined);
  }
}

export interface PublisherTransportHandlers {
  /** A track (or simulcast layer) arrived on the m-section `mid`. */
  onTrack(track: MediaStreamTrack, receiver: RTCRtpReceiver, transceiver: RTCRtpTransceiver): void;
  onData(label: string, data: Buffer): void;
}

export class PublisherTransport extends Transport {
  private chain: Promise<unknown> = Promise.resolve();
  private sctpStarted = false;

  constructor(options: TransportOptions, handlers: PublisherTransportHandlers) {
    super(options, receivingMediaConfig({ simulcast: true }));
    this.pc.onTrack.subscribe((track) => {
      const transceiver = this.pc
        .getTransceivers()
        .find((t) => t.receiver.track === track || t.receiver.tracks.includes(track));
      if (transceiver) handlers.onTrack(track, transceiver.receiver, transceiver);
    });
    this.pc.onDataChannel.subscribe((channel: RTCDataChannel) => {
      channel.onMessage.subscribe((data) => {
        if (typeof data !== 'string') handlers.onData(channel.label, data);
      });
    });
  }

  /**
   * livekit-client's dual-PC mode creates its data channels on first use, so the `m=application`
   * often arrives in a renegotiation. werift starts SCTP only when DTLS comes up: start it here when
   * DTLS is already up.
   */
  private startLateSctp(): void {
    const transport = this.pc.sctpTransport;
    if (!transport || this.sctpStarted) return;
    this.sctpStarted = true;
    if (transport.dtlsTransport.state !== 'connected') return; // connect() starts it with DTLS
    // The browser (DTLS server here) waits for our INIT on a renegotiated association, while werift,
    // ICE-controlled, would wait for the browser's: send it.
    const association = (
      transport as unknown as { sctp: { isServer: boolean; start(port?: number): Promise<void> } }
    ).sctp;
    association.isServer = false;
    association
      .start(this.pc.sctpRemotePort)
      .catch((error: unknown) =>
        this.options.logger.warn('late SCTP start failed', { error: errorMessage(error) }),
      );
  }

  /** Answers a client offer (offers are handled one at a time, in order). */
  answer(sdp: string): Promise<string> {
    const run = this.chain.then(async () => {
      if (this.closed) throw new Error('publisher transport is closed');
      await this.pc.setRemoteDescription({ type: 'offer', sdp: withoutSimulcastSsrcs(sdp) });
      withoutDefaultStunServer(this.pc, this.options.baseConfig);
      // The server is the DTLS server (media/dtls.ts): werift answering `active` waited 100 ms after
      // ICE before its first flight, and the client's connect waits for this peer connection too.
      answerDtlsPassive(this.pc);
      this.keepEarlyDtls();
      this.remoteDescriptionSet();
      for (const transceiver of this.pc.getTransceivers())
        if (transceiver.direction !== 'inactive') transceiver.setDirection('recvonly');
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      const local = this.pc.localDescription?.sdp;
      if (!local) throw new Error('werift produced no answer');
      this.startLateSctp();
      this.startRestartedIce();
      return local;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

export interface DownTrackSlot {
  track: MediaStreamTrack;
  sender: RTCRtpSender;
  receiver: RTCRtpReceiver;
  transceiver: RTCRtpTransceiver;
}

export class SubscriberTransport extends Transport {
  private readonly channels = new Map<string, RTCDataChannel>();
  private offering = false;
  private again = false;
  private scheduled = false;
  private offerId = 0;
  /** The next offer restarts ICE (a resumed client). */
  private iceRestart = false;
  /** The offer sent and not answered yet, with the transceivers it carries. */
  private pending:
    { sdp: string; id: number; iceRestart: boolean; transceivers: RTCRtpTransceiver[] } | undefined;
  /** Transceivers of an answered offer: the client can receive on them. */
  private readonly negotiated = new WeakSet<RTCRtpTransceiver>();
  /** Called after each answer is applied (new down tracks start forwarding then). */
  private readonly answeredListeners = new Set<() => void>();

  constructor(
    options: TransportOptions,
    private readonly sendOffer: (sdp: string, id: number) => void,
  ) {
    super(options, sendingMediaConfig());
    this.channels.set(RELIABLE_LABEL, this.pc.createDataChannel(RELIABLE_LABEL, { ordered: true }));
    this.channels.set(
      LOSSY_LABEL,
      this.pc.createDataChannel(LOSSY_LABEL, { ordered: false, maxRetransmits: 0 }),
    );
  }

  onAnswered(listener: () => void): void {
    this.answeredListeners.add(listener);
  }

  /** Whether `transceiver` was in an offer the client has answered. */
  isNegotiated(transceiver: RTCRtpTransceiver): boolean {
    return this.negotiated.has(transceiver);
  }

  /** Adds a sendonly transceiver for a track of `participantSid`; the caller renegotiates. */
  addTrack(kind: MediaKind, participantSid: string, trackSid: string): DownTrackSlot {
    const track = new MediaStreamTrack({ kind });
    const transceiver = this.pc.addTransceiver(track, {
      direction: 'sendonly',
      streams: [new MediaStream({ id: `${participantSid}|${trackSid}` })],
    });
    return { track, sender: transceiver.sender, receiver: transceiver.receiver, transceiver };
  }

  /** Sends `bytes` on the server's channel `label`; false when it is not open. */
  send(label: string, bytes: Uint8Array): boolean {
    const channel = this.channels.get(label);
    if (!channel || channel.readyState !== 'open') return false;
    channel.send(Buffer.from(bytes));
    return true;
  }

  /** Schedules one offer for everything changed in this tick (or after the pending answer). */
  negotiate(): void {
    if (this.closed || this.scheduled) return;
    if (this.offering) {
      this.again = true;
      return;
    }
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.offer();
    });
  }

  /**
   * A resumed client: the next offer restarts ICE (livekit-client holds its subscriber's candidates
   * until that offer). An offer sent while its socket was down never arrived: it is replaced, or,
   * when it was itself an unanswered ICE restart (the socket of an earlier resume attempt died at
   * once), sent again with its candidates. Restarting werift's ICE once per failed attempt left
   * the subscriber connection without media after the attempt that got through.
   */
  restartIce(): void {
    if (this.closed) return;
    const pending = this.pending;
    if (pending?.iceRestart) {
      this.sendOffer(pending.sdp, pending.id);
      for (const candidate of this.trickled) this.options.onCandidate(candidate);
      return;
    }
    this.iceRestart = true;
    // An offer is being created: it goes out on the new socket; the restart follows its answer.
    if (this.offering && !pending) {
      this.again = true;
      return;
    }
    this.offering = false;
    this.pending = undefined;
    this.negotiate();
  }

  /**
   * Applies the client's answer. An answer naming another offer (`id`, 0 when the client sends
   * none) is stale: e.g. queued by livekit-client during a resume for an offer that
   * {@link restartIce} replaced.
   */
  async handleAnswer(sdp: string, id = 0): Promise<void> {
    if (this.closed || !this.offering) return;
    if (id !== 0 && id !== this.offerId) {
      this.options.logger.debug('stale subscriber answer ignored', { id, offer: this.offerId });
      return;
    }
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      for (const transceiver of this.pending?.transceivers ?? []) this.negotiated.add(transceiver);
      this.remoteDescriptionSet();
      this.startRestartedIce();
    } finally {
      this.offering = false;
      this.pending = undefined;
    }
    for (const listener of this.answeredListeners) listener();
    if (this.again) {
      this.again = false;
      this.negotiate();
    }
  }

  private async offer(): Promise<void> {
    if (this.closed || this.offering) return;
    this.offering = true;
    try {
      const iceRestart = this.iceRestart;
      const transceivers = this.pc.getTransceivers();
      const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      this.iceRestart = false;
      withoutDefaultStunServer(this.pc, this.options.baseConfig);
      this.trickled = [];
      await this.pc.setLocalDescription(offer);
      this.keepEarlyDtls();
      const sdp = this.pc.localDescription?.sdp;
      if (!sdp || this.closed) return;
      this.pending = { sdp, id: ++this.offerId, iceRestart, transceivers };
      this.sendOffer(sdp, this.pending.id);
    } catch (error) {
      this.offering = false;
      this.options.logger.warn('subscriber offer failed', { error: errorMessage(error) });
    }
  }
}
