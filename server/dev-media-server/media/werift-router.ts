/**
 * The dev media server's SFU: one werift RTCPeerConnection per publisher and per subscriber endpoint,
 * browser-offered negotiations (openvidu-browser is told mediaServer "kurento"), VP8 + Opus only, RTP
 * forwarded without transcoding. See /work/shared/openvidu-protocol.md §3.3–3.6, §3.12, §9.
 */
import {
  MediaStream,
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  useAbsSendTime,
  useFIR,
  useNACK,
  useOPUS,
  usePLI,
  useREMB,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
  useVP8,
} from 'werift';
import type {
  PeerConfig,
  RTCIceCandidate,
  RTCRtpReceiver,
  RTCRtpSender,
  RTCRtpTransceiver,
  RtcpPacket,
  RtpPacket,
} from 'werift';
import { isEndOfCandidates, PendingCandidates, sdpUfrag } from './ice.js';
import { KeyframeLimiter } from './keyframe.js';
import { startRecording as startRecorder } from './recorder.js';
import type { RecordableStream, StreamRegistry, StreamTracks } from './recorder.js';
import type {
  ActiveRecording,
  IceCandidate,
  MediaRouter,
  MediaRouterOptions,
  MediaStats,
  OnLocalCandidate,
  PublishRequest,
  RecordingRequest,
  SubscribeRequest,
} from './types.js';

type Kind = 'audio' | 'video';

/** Minimum spacing of PLIs sent to one publisher. */
const KEYFRAME_INTERVAL_MS = 1000;
/** Host candidates are gathered in a few ms; STUN/TURN get longer, the rest trickles. */
const GATHER_WAIT_HOST_MS = 2000;
const GATHER_WAIT_STUN_MS = 3000;
/** RTCP PSFB FMT 4 (RFC 5104 Full Intra Request). */
const PSFB_FIR = 4;

interface SourceTrack {
  track: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
  /** SSRC of the latest packet, in case the offer carried no a=ssrc. */
  lastSsrc?: number;
}

interface Endpoint {
  readonly endpointId: string;
  /** Undefined until the first negotiation committed. */
  pc: RTCPeerConnection | undefined;
  /** ice-ufrag of the browser offer the current pc answered. */
  remoteUfrag: string | undefined;
  /** False until setRemoteDescription finished on the current pc. */
  ready: boolean;
  /** A replacement pc is being negotiated (reconnectStream): ufrag-less candidates wait for it. */
  renegotiating: boolean;
  closed: boolean;
}

interface PublisherEntry extends Endpoint {
  readonly kind: 'publisher';
  readonly streamId: string;
  hasAudio: boolean;
  hasVideo: boolean;
  /** Bumped on each republish; packets from other generations are not forwarded. */
  generation: number;
  sources: Partial<Record<Kind, SourceTrack>>;
  readonly subscribers: Set<SubscriberEntry>;
  readonly keyframes: KeyframeLimiter;
  disposers: (() => void)[];
}

interface SubscriberOutput {
  track: MediaStreamTrack;
  sender: RTCRtpSender;
  receiver: RTCRtpReceiver;
  /** Publisher generation last forwarded to this sender (source switch ⇒ continuity rewrite). */
  generation: number | undefined;
}

interface SubscriberEntry extends Endpoint {
  readonly kind: 'subscriber';
  readonly streamId: string;
  readonly publisher: PublisherEntry;
  outputs: Partial<Record<Kind, SubscriberOutput>>;
}

type Logger = NonNullable<MediaRouterOptions['logger']>;

const silentLogger: Logger = { debug: () => undefined, warn: () => undefined };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toWireCandidate(candidate: RTCIceCandidate): IceCandidate {
  return {
    candidate: candidate.candidate.startsWith('candidate:')
      ? candidate.candidate
      : `candidate:${candidate.candidate}`,
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
  };
}

/** Strips header extensions in place (the sender writes its own negotiated ones). */
function stripExtensions(packet: RtpPacket): RtpPacket {
  packet.header.extensions = [];
  packet.header.extension = false;
  return packet;
}

export function createWeriftRouter(options: MediaRouterOptions = {}): MediaRouter {
  const logger = options.logger ?? silentLogger;
  const publishers = new Map<string, PublisherEntry>();
  const subscribers = new Map<string, SubscriberEntry>();
  const pending = new PendingCandidates();
  const openPcs = new Set<RTCPeerConnection>();
  const registryListeners = new Set<(streamId: string, change: 'published' | 'released') => void>();
  const recordings = new Set<{ abort(): Promise<void> }>();
  const recorderCounter = { active: 0 };
  let forwardedPackets = 0;
  let closed = false;

  const iceServers = options.iceServers ?? [];
  const gatherWaitMs = iceServers.length > 0 ? GATHER_WAIT_STUN_MS : GATHER_WAIT_HOST_MS;

  function baseConfig(): Partial<PeerConfig> {
    return {
      // werift's default is Google STUN; a dev server stays on host candidates unless told otherwise.
      iceServers,
      icePortRange: options.icePortRange,
      iceAdditionalHostAddresses: options.announcedIp ? [options.announcedIp] : undefined,
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
    };
  }

  function publisherConfig(): Partial<PeerConfig> {
    return {
      ...baseConfig(),
      codecs: {
        video: [useVP8({ rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB(), useTWCC()] })],
        audio: [useOPUS({ rtcpFeedback: [useTWCC()] })],
      },
      headerExtensions: {
        video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()],
        audio: [useSdesMid(), useTransportWideCC()],
      },
    };
  }

  function subscriberConfig(): Partial<PeerConfig> {
    return {
      ...baseConfig(),
      codecs: {
        video: [useVP8({ rtcpFeedback: [useNACK(), usePLI(), useFIR()] })],
        audio: [useOPUS()],
      },
      headerExtensions: {
        video: [useSdesMid(), useAbsSendTime()],
        audio: [useSdesMid()],
      },
    };
  }

  function newPeerConnection(config: Partial<PeerConfig>): RTCPeerConnection {
    const pc = new RTCPeerConnection(config);
    openPcs.add(pc);
    return pc;
  }

  function closePeerConnection(pc: RTCPeerConnection): void {
    if (!openPcs.delete(pc)) return;
    pc.close().catch((error: unknown) =>
      logger.warn('peer connection close failed', { error: errorMessage(error) }),
    );
  }

  // ---------------------------------------------------------------- ICE

  function applyCandidate(endpoint: Endpoint, candidate: IceCandidate): void {
    if (!endpoint.pc) {
      pending.add(endpoint.endpointId, candidate);
      return;
    }
    endpoint.pc
      .addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
      })
      .catch((error: unknown) =>
        logger.warn('remote ICE candidate rejected', {
          endpointId: endpoint.endpointId,
          error: errorMessage(error),
        }),
      );
  }

  function flushPending(endpoint: Endpoint): void {
    for (const candidate of pending.take(endpoint.endpointId, endpoint.remoteUfrag))
      applyCandidate(endpoint, candidate);
  }

  /**
   * setLocalDescription, then wait (bounded) for gathering so the answer carries the server's candidates.
   * Candidates found after the answer is returned are trickled through `onLocalCandidate`.
   */
  async function answerWithCandidates(
    pc: RTCPeerConnection,
    onLocalCandidate: OnLocalCandidate,
    isCurrent: () => boolean,
  ): Promise<string> {
    let answered = false;
    const trickle = pc.onIceCandidate.subscribe((candidate) => {
      if (!answered || !candidate || !candidate.candidate || !isCurrent()) return;
      try {
        onLocalCandidate(toWireCandidate(candidate));
      } catch (error) {
        logger.warn('onLocalCandidate threw', { error: errorMessage(error) });
      }
    });
    try {
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForGathering(pc, gatherWaitMs);
      const sdp = pc.localDescription?.sdp;
      if (!sdp) throw new Error('werift produced no local description');
      answered = true;
      return sdp;
    } catch (error) {
      trickle.unSubscribe();
      throw error;
    }
  }

  // ---------------------------------------------------------------- publishers

  function requestKeyframeNow(entry: PublisherEntry): boolean {
    const video = entry.sources.video;
    if (!video || entry.closed) return false;
    const ssrc = video.track.ssrc ?? video.lastSsrc;
    if (ssrc === undefined) return false;
    video.transceiver.receiver
      .sendRtcpPLI(ssrc)
      .catch((error: unknown) => logger.debug('PLI send failed', { error: errorMessage(error) }));
    return true;
  }

  function forward(
    entry: PublisherEntry,
    kind: Kind,
    generation: number,
    source: SourceTrack,
    rtp: RtpPacket,
  ): void {
    if (entry.generation !== generation || entry.closed) return;
    source.lastSsrc = rtp.header.ssrc;
    if (entry.subscribers.size === 0) return;
    const packet = stripExtensions(rtp.clone());
    for (const subscriber of entry.subscribers) {
      const output = subscriber.outputs[kind];
      if (!output || subscriber.closed) continue;
      if (output.generation !== generation) {
        // Source switch (republish): keep this subscriber's seq/timestamp running on from where they were.
        if (output.generation !== undefined) output.sender.replaceRTP(packet.header);
        output.generation = generation;
      }
      output.track.writeRtp(packet);
      forwardedPackets++;
    }
  }

  /** Attaches the remote tracks of `pc` as the sources of generation `generation` of `entry`. */
  function wirePublisherTracks(
    entry: PublisherEntry,
    pc: RTCPeerConnection,
    generation: number,
    staged: Partial<Record<Kind, SourceTrack>>,
    disposers: (() => void)[],
  ): void {
    const sub = pc.onTrack.subscribe((track) => {
      const transceiver = pc
        .getTransceivers()
        .find((t) => t.receiver.track === track || t.receiver.tracks.includes(track));
      if (!transceiver) return;
      const kind: Kind = track.kind === 'audio' ? 'audio' : 'video';
      const source: SourceTrack = { track, transceiver };
      staged[kind] = source;
      const rtpSub = track.onReceiveRtp.subscribe((rtp) =>
        forward(entry, kind, generation, source, rtp),
      );
      disposers.push(rtpSub.unSubscribe);
    });
    disposers.push(sub.unSubscribe);
  }

  async function negotiatePublisher(
    entry: PublisherEntry,
    req: PublishRequest,
    generation: number,
  ): Promise<{
    pc: RTCPeerConnection;
    sdpAnswer: string;
    staged: Partial<Record<Kind, SourceTrack>>;
    disposers: (() => void)[];
  }> {
    const pc = newPeerConnection(publisherConfig());
    const staged: Partial<Record<Kind, SourceTrack>> = {};
    const disposers: (() => void)[] = [];
    try {
      wirePublisherTracks(entry, pc, generation, staged, disposers);
      await pc.setRemoteDescription({ type: 'offer', sdp: req.sdpOffer });
      const transceivers = pc.getTransceivers();
      if (transceivers.length === 0) throw new Error('SDP offer has no media sections');
      for (const transceiver of transceivers) transceiver.setDirection('recvonly');
      const sdpAnswer = await answerWithCandidates(
        pc,
        req.onLocalCandidate,
        () => entry.pc === pc && !entry.closed,
      );
      return { pc, sdpAnswer, staged, disposers };
    } catch (error) {
      for (const dispose of disposers) dispose();
      closePeerConnection(pc);
      throw error;
    }
  }

  function commitPublisher(
    entry: PublisherEntry,
    pc: RTCPeerConnection,
    generation: number,
    staged: Partial<Record<Kind, SourceTrack>>,
    disposers: (() => void)[],
    remoteUfrag: string | undefined,
  ): void {
    const oldPc = entry.pc;
    const oldDisposers = entry.disposers;
    entry.pc = pc;
    entry.generation = generation;
    entry.sources = staged;
    entry.disposers = disposers;
    entry.remoteUfrag = remoteUfrag;
    entry.ready = true;
    entry.renegotiating = false;
    for (const dispose of oldDisposers) dispose();
    if (oldPc && oldPc !== pc) closePeerConnection(oldPc);
    flushPending(entry);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && entry.pc === pc && entry.subscribers.size > 0)
        entry.keyframes.request();
    });
    for (const listener of registryListeners) listener(entry.streamId, 'published');
  }

  async function publish(req: PublishRequest): Promise<{ sdpAnswer: string }> {
    assertOpen();
    if (publishers.has(req.streamId))
      throw new Error(`Stream ${req.streamId} is already published`);
    const entry: PublisherEntry = {
      kind: 'publisher',
      endpointId: req.streamId,
      streamId: req.streamId,
      hasAudio: req.hasAudio,
      hasVideo: req.hasVideo,
      pc: undefined,
      remoteUfrag: undefined,
      ready: false,
      renegotiating: false,
      closed: false,
      generation: 0,
      sources: {},
      subscribers: new Set(),
      keyframes: new KeyframeLimiter(() => requestKeyframeNow(entry), KEYFRAME_INTERVAL_MS),
      disposers: [],
    };
    publishers.set(req.streamId, entry);
    const started = Date.now();
    try {
      const { pc, sdpAnswer, staged, disposers } = await negotiatePublisher(entry, req, 1);
      if (entry.closed) {
        for (const dispose of disposers) dispose();
        closePeerConnection(pc);
        throw new Error(`Stream ${req.streamId} was released while publishing`);
      }
      commitPublisher(entry, pc, 1, staged, disposers, sdpUfrag(req.sdpOffer));
      logger.debug('publisher answered', { streamId: req.streamId, ms: Date.now() - started });
      return { sdpAnswer };
    } catch (error) {
      if (publishers.get(req.streamId) === entry) releasePublisher(entry);
      throw new Error(`publish ${req.streamId} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  async function republish(req: PublishRequest): Promise<{ sdpAnswer: string }> {
    assertOpen();
    const entry = publishers.get(req.streamId);
    if (!entry) return publish(req);
    const generation = entry.generation + 1;
    entry.renegotiating = true;
    const started = Date.now();
    try {
      const { pc, sdpAnswer, staged, disposers } = await negotiatePublisher(entry, req, generation);
      if (entry.closed) {
        for (const dispose of disposers) dispose();
        closePeerConnection(pc);
        throw new Error(`Stream ${req.streamId} was released while republishing`);
      }
      entry.hasAudio = req.hasAudio;
      entry.hasVideo = req.hasVideo;
      commitPublisher(entry, pc, generation, staged, disposers, sdpUfrag(req.sdpOffer));
      logger.debug('publisher re-answered', { streamId: req.streamId, ms: Date.now() - started });
      return { sdpAnswer };
    } catch (error) {
      entry.renegotiating = false;
      throw new Error(`republish ${req.streamId} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  function releasePublisher(entry: PublisherEntry): void {
    if (entry.closed) return;
    entry.closed = true;
    entry.keyframes.close();
    for (const subscriber of [...entry.subscribers]) releaseSubscriber(subscriber);
    for (const dispose of entry.disposers) dispose();
    entry.disposers = [];
    entry.sources = {};
    if (entry.pc) closePeerConnection(entry.pc);
    if (publishers.get(entry.streamId) === entry) publishers.delete(entry.streamId);
    pending.delete(entry.endpointId);
    for (const listener of registryListeners) listener(entry.streamId, 'released');
  }

  // ---------------------------------------------------------------- subscribers

  async function negotiateSubscriber(
    entry: SubscriberEntry,
    req: SubscribeRequest,
  ): Promise<{
    pc: RTCPeerConnection;
    sdpAnswer: string;
    outputs: Partial<Record<Kind, SubscriberOutput>>;
  }> {
    const publisher = entry.publisher;
    const pc = newPeerConnection(subscriberConfig());
    const outputs: Partial<Record<Kind, SubscriberOutput>> = {};
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: req.sdpOffer });
      const transceivers = pc.getTransceivers();
      if (transceivers.length === 0) throw new Error('SDP offer has no media sections');
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
      const sdpAnswer = await answerWithCandidates(
        pc,
        req.onLocalCandidate,
        () => entry.pc === pc && !entry.closed,
      );
      return { pc, sdpAnswer, outputs };
    } catch (error) {
      closePeerConnection(pc);
      throw error;
    }
  }

  function commitSubscriber(
    entry: SubscriberEntry,
    pc: RTCPeerConnection,
    outputs: Partial<Record<Kind, SubscriberOutput>>,
    remoteUfrag: string | undefined,
  ): void {
    const oldPc = entry.pc;
    const oldOutputs = entry.outputs;
    entry.pc = pc;
    entry.outputs = outputs;
    entry.remoteUfrag = remoteUfrag;
    entry.ready = true;
    entry.renegotiating = false;
    if (oldPc && oldPc !== pc) {
      for (const output of Object.values(oldOutputs)) output.track.stop();
      closePeerConnection(oldPc);
    }
    const publisher = entry.publisher;
    for (const output of Object.values(outputs)) {
      // Subscriber PLI/FIR → upstream PLI (rate-limited by the publisher's limiter). werift routes a PSFB by
      // its *sender* SSRC first, so when the browser's RTCP SSRC is one it declared in its offer the packet
      // lands on our receiver of that m-line instead of the sender: listen on both.
      const relay = (rtcp: RtcpPacket, fromReceiver: boolean): void => {
        if (!(rtcp instanceof RtcpPayloadSpecificFeedback)) return;
        const feedback = rtcp.feedback;
        const isPli = feedback instanceof PictureLossIndication;
        if (!isPli && feedback.count !== PSFB_FIR) return;
        if (fromReceiver && isPli && feedback.mediaSsrc !== output.sender.ssrc) return;
        logger.debug('subscriber keyframe request', {
          endpointId: entry.endpointId,
          type: isPli ? 'PLI' : 'FIR',
        });
        publisher.keyframes.request();
      };
      output.sender.onRtcp.subscribe((rtcp) => relay(rtcp, false));
      output.receiver.onRtcp.subscribe((rtcp) => relay(rtcp, true));
    }
    pc.connectionStateChange.subscribe((state) => {
      // A new subscriber sees nothing until the next keyframe: ask for one as soon as its media path is up.
      if (state === 'connected' && entry.pc === pc && !entry.closed) publisher.keyframes.request();
    });
    flushPending(entry);
  }

  async function subscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }> {
    assertOpen();
    const publisher = publishers.get(req.streamId);
    if (!publisher || publisher.closed)
      throw new Error(
        `subscribe ${req.endpointId} failed: stream ${req.streamId} is not published`,
      );
    if (subscribers.has(req.endpointId))
      throw new Error(`subscriber endpoint ${req.endpointId} already exists`);
    const entry: SubscriberEntry = {
      kind: 'subscriber',
      endpointId: req.endpointId,
      streamId: req.streamId,
      publisher,
      pc: undefined,
      remoteUfrag: undefined,
      ready: false,
      renegotiating: false,
      closed: false,
      outputs: {},
    };
    subscribers.set(req.endpointId, entry);
    publisher.subscribers.add(entry);
    const started = Date.now();
    try {
      const { pc, sdpAnswer, outputs } = await negotiateSubscriber(entry, req);
      if (entry.closed) {
        closePeerConnection(pc);
        throw new Error('endpoint was released while negotiating');
      }
      commitSubscriber(entry, pc, outputs, sdpUfrag(req.sdpOffer));
      logger.debug('subscriber answered', { endpointId: req.endpointId, ms: Date.now() - started });
      return { sdpAnswer };
    } catch (error) {
      if (subscribers.get(req.endpointId) === entry) releaseSubscriber(entry);
      throw new Error(`subscribe ${req.endpointId} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  async function resubscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }> {
    assertOpen();
    const entry = subscribers.get(req.endpointId);
    if (!entry || entry.streamId !== req.streamId) {
      if (entry) releaseSubscriber(entry);
      return subscribe(req);
    }
    entry.renegotiating = true;
    try {
      const { pc, sdpAnswer, outputs } = await negotiateSubscriber(entry, req);
      if (entry.closed) {
        closePeerConnection(pc);
        throw new Error('endpoint was released while renegotiating');
      }
      commitSubscriber(entry, pc, outputs, sdpUfrag(req.sdpOffer));
      return { sdpAnswer };
    } catch (error) {
      entry.renegotiating = false;
      throw new Error(`resubscribe ${req.endpointId} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  function releaseSubscriber(entry: SubscriberEntry): void {
    if (entry.closed) return;
    entry.closed = true;
    entry.publisher.subscribers.delete(entry);
    for (const output of Object.values(entry.outputs)) output.track.stop();
    entry.outputs = {};
    if (entry.pc) closePeerConnection(entry.pc);
    if (subscribers.get(entry.endpointId) === entry) subscribers.delete(entry.endpointId);
    pending.delete(entry.endpointId);
  }

  // ---------------------------------------------------------------- recording bridge

  const registry: StreamRegistry = {
    get(streamId: string): RecordableStream | undefined {
      const entry = publishers.get(streamId);
      if (!entry || entry.closed) return undefined;
      return {
        streamId,
        hasAudio: entry.hasAudio,
        hasVideo: entry.hasVideo,
        tracks(): StreamTracks {
          return {
            generation: entry.generation,
            audio: entry.sources.audio?.track,
            video: entry.sources.video?.track,
          };
        },
        requestKeyframe: () => entry.keyframes.request(),
      };
    },
    onChange(listener) {
      registryListeners.add(listener);
      return () => registryListeners.delete(listener);
    },
    recorderStarted: () => recorderCounter.active++,
    recorderStopped: () => recorderCounter.active--,
  };

  function assertOpen(): void {
    if (closed) throw new Error('media router is closed');
  }

  return {
    publish,
    subscribe,
    republish,
    resubscribe,

    addIceCandidate(endpointId: string, candidate: IceCandidate): void {
      if (closed || isEndOfCandidates(candidate)) return;
      const endpoint: Endpoint | undefined =
        publishers.get(endpointId) ?? subscribers.get(endpointId);
      const ufragMatch = /\bufrag (\S+)/.exec(candidate.candidate)?.[1];
      const deliverable =
        endpoint !== undefined &&
        endpoint.ready &&
        !endpoint.closed &&
        (ufragMatch !== undefined ? ufragMatch === endpoint.remoteUfrag : !endpoint.renegotiating);
      if (deliverable) applyCandidate(endpoint, candidate);
      else pending.add(endpointId, candidate);
    },

    release(endpointId: string): void {
      const publisher = publishers.get(endpointId);
      if (publisher) releasePublisher(publisher);
      const subscriber = subscribers.get(endpointId);
      if (subscriber) releaseSubscriber(subscriber);
      pending.delete(endpointId);
    },

    async startRecording(req: RecordingRequest): Promise<ActiveRecording> {
      assertOpen();
      const recording = await startRecorder(req, registry, logger);
      recordings.add(recording);
      return {
        addStream: (streamId, metadata) => recording.addStream(streamId, metadata),
        removeStream: (streamId) => recording.removeStream(streamId),
        stop: async () => {
          try {
            return await recording.stop();
          } finally {
            recordings.delete(recording);
          }
        },
      };
    },

    stats(): MediaStats {
      return {
        peerConnections: openPcs.size,
        publishers: publishers.size,
        subscribers: subscribers.size,
        recorders: recorderCounter.active,
        forwardedPackets,
        pendingCandidates: pending.size,
      };
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...recordings].map((recording) => recording.abort()));
      recordings.clear();
      for (const entry of [...publishers.values()]) releasePublisher(entry);
      for (const entry of [...subscribers.values()]) releaseSubscriber(entry);
      pending.clear();
      registryListeners.clear();
    },
  };
}

function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}
