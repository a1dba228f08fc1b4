/**
 * The narrow interface between the dev media server's signalling plane (JSON-RPC, REST, sessions) and
 * its media plane (the werift SFU and the recorder). The signalling side owns ids and lifecycles; the
 * media side owns peer connections, RTP forwarding and files. Neither reaches into the other.
 */

/** An ICE candidate as openvidu-browser sends it in `onIceCandidate` and expects in `iceCandidate`. */
export interface IceCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export interface MediaRouterOptions {
  /** Address announced in ICE candidates in addition to the host ones (LAN demos, NAT). */
  announcedIp?: string;
  /** Inclusive UDP port range for ICE. */
  icePortRange?: [number, number];
  /** STUN/TURN servers the server side may use; the browser gets its own list from joinRoom. */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  /**
   * Receive and send buffer asked for each ICE UDP socket (default 4 MiB; the kernel caps it at
   * `net.core.rmem_max`/`wmem_max`); 0 keeps the system default.
   */
  udpSocketBufferBytes?: number;
  /**
   * Network impairment of an endpoint's peer connection (publisher: its stream id; subscriber: its
   * endpoint id), asked for each datagram it sends or receives; undefined = a clean link.
   */
  impairmentFor?: (endpointId: string) => LinkImpairment | undefined;
  /** Seed of the impairment's loss and jitter randomness (default: random). */
  impairmentSeed?: number;
  /** Structured logger; never receives SDP or candidate addresses above debug level. */
  logger?: { debug(msg: string, data?: object): void; warn(msg: string, data?: object): void };
}

/**
 * What the media plane does to every datagram of an impaired peer connection, in each direction;
 * 0 turns a knob off. See docs/dev-media-server.md for what each knob does to the browser's stats.
 */
export interface LinkImpairment {
  /** Share of datagrams dropped, 0–100. */
  lossPercent: number;
  /** Added one-way delay in ms (the browser's round-trip time grows by twice this). */
  delayMs: number;
  /** Extra delay, uniform in 0…jitterMs, per datagram (order is kept). */
  jitterMs: number;
  /** Bandwidth cap in kbit/s (0 = none); past 300 ms of queue datagrams are dropped. */
  rateKbps: number;
}

/** Callback the media plane uses to trickle its own candidates to the browser (`iceCandidate` notification). */
export type OnLocalCandidate = (candidate: IceCandidate) => void;

export interface PublishRequest {
  /** Stream id chosen by the signalling side (`str_CAM_xxxx_con_…`). */
  streamId: string;
  sdpOffer: string;
  hasAudio: boolean;
  hasVideo: boolean;
  onLocalCandidate: OnLocalCandidate;
}

export interface SubscribeRequest {
  /** Unique key of this subscriber endpoint, e.g. `${subscriberConnectionId}<-${publisherConnectionId}`. */
  endpointId: string;
  streamId: string;
  /** The browser's recvonly offer (mediaServer is announced as "kurento", so browsers always offer). */
  sdpOffer: string;
  onLocalCandidate: OnLocalCandidate;
}

export interface MediaStats {
  /** Open RTCPeerConnections (publishers + subscribers). A departed participant must bring this back down. */
  peerConnections: number;
  publishers: number;
  subscribers: number;
  /** Recorders currently writing. */
  recorders: number;
  /** RTP packets forwarded since start (for benchmarks). */
  forwardedPackets: number;
  /** Browser candidates buffered for endpoints that do not exist yet (optional; added by the media plane). */
  pendingCandidates?: number;
}

/**
 * What the INDIVIDUAL recording index (`<name>.json`) says about a stream beyond what the media plane knows.
 * All optional: `connectionId` defaults to the `con_…` part of the stream id, the rest to "".
 */
export interface RecordingStreamMetadata {
  connectionId?: string;
  clientData?: string;
  serverData?: string;
  typeOfVideo?: string;
}

export interface RecordingRequest {
  recordingId: string;
  /** Directory for this recording's files (already created, already validated). */
  dir: string;
  /** `name` property of the recording; file names derive from it. */
  name: string;
  outputMode: 'COMPOSED' | 'INDIVIDUAL';
  hasAudio: boolean;
  hasVideo: boolean;
  /** "WIDTHxHEIGHT" for COMPOSED, e.g. "1280x720". */
  resolution: string;
  frameRate: number;
  /** Streams to record at start; more may be added/removed while recording. */
  streamIds: string[];
  /** Session id for the INDIVIDUAL index (optional; defaults to `recordingId` up to any `~`). */
  sessionId?: string;
  /** Per-stream metadata for the INDIVIDUAL index (optional). */
  streamMetadata?: Record<string, RecordingStreamMetadata>;
}

export interface RecordingResult {
  /** Bytes of the final file (MP4 for COMPOSED, ZIP for INDIVIDUAL). */
  size: number;
  /** Seconds. */
  duration: number;
  /** File name inside `dir`, e.g. `name.mp4` or `name.zip`. */
  fileName: string;
}

export interface ActiveRecording {
  addStream(streamId: string, metadata?: RecordingStreamMetadata): void;
  removeStream(streamId: string): void;
  /** Stops capture and composes the final file; rejects with a reason when composition fails. */
  stop(): Promise<RecordingResult>;
}

export interface MediaRouter {
  publish(req: PublishRequest): Promise<{ sdpAnswer: string }>;
  subscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }>;
  /**
   * Adds a browser candidate to an endpoint (publisher: its streamId; subscriber: its endpointId).
   * Candidates for endpoints that do not exist yet are buffered; empty end-of-candidates are ignored.
   */
  addIceCandidate(endpointId: string, candidate: IceCandidate): void;
  /** Replaces a publisher's peer connection keeping its stream id; existing subscribers are re-wired. */
  republish(req: PublishRequest): Promise<{ sdpAnswer: string }>;
  /** Replaces a subscriber's peer connection (reconnectStream on a subscriber). */
  resubscribe(req: SubscribeRequest): Promise<{ sdpAnswer: string }>;
  /** Releases an endpoint (publisher streamId or subscriber endpointId) and everything it holds. */
  release(endpointId: string): void;
  startRecording(req: RecordingRequest): Promise<ActiveRecording>;
  stats(): MediaStats;
  close(): Promise<void>;
}
