/**
 * The media backend: what the session needs from a media server client. `openvidu-browser` sits
 * behind it (`backends/openvidu.ts`), `livekit-client` too (`backends/livekit.ts`), each loaded with a
 * dynamic import when the token server's answer names it; `consult-kit/testing` has a fake.
 * Backends hold no ConsultKit state; they translate the media library's events into these.
 * @packageDocumentation
 */
import type { MediaBackendKind } from './contract.js';
import type { QualityLevel, Unsubscribe } from './types.js';

/** A remote connection as the backend sees it. @internal */
export interface BackendConnection {
  connectionId: string;
  /** Server data as a string (OpenVidu: the token's `data`, JSON `ConnectionServerData`). */
  serverData: string;
  /** Client data string given at connect. */
  clientData: string;
  /** Epoch ms. */
  createdAt: number;
}

/** A remote published stream. @internal */
export interface BackendStream {
  streamId: string;
  connectionId: string;
  kind: 'camera' | 'screen';
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
}

/** Events a backend emits. @internal */
export interface BackendEventMap {
  connectionCreated: BackendConnection;
  connectionDestroyed: { connectionId: string; reason: string };
  streamCreated: BackendStream;
  streamDestroyed: { streamId: string; connectionId: string; reason: string };
  /** A subscription produced media. */
  streamSubscribed: { streamId: string; connectionId: string; mediaStream: MediaStream };
  streamPropertyChanged: {
    streamId: string;
    connectionId: string;
    property: 'audioActive' | 'videoActive';
    value: boolean;
  };
  speakingChanged: { connectionId: string; speaking: boolean };
  /** A signal arrived. `from` is undefined for signals sent by the server (REST). */
  signal: { type: string; data: string; from?: string };
  reconnecting: { reason: string };
  reconnected: Record<string, never>;
  /** The connection ended; `reason` is the media server's (`disconnect`, `networkDisconnect`, `forceDisconnectByServer`, `sessionClosedByServer`…). */
  disconnected: { reason: string };
  recordingStarted: { recordingId: string };
  recordingStopped: { recordingId: string; reason: string };
  /** A non-fatal problem the backend noticed (ICE failure of one stream, etc.). */
  exception: { name: string; message: string; connectionId?: string };
}

/** Options of {@link MediaBackend.publish}. @internal */
export interface PublishOptions {
  audioTrack?: MediaStreamTrack;
  videoTrack?: MediaStreamTrack;
  audioEnabled: boolean;
  videoEnabled: boolean;
}

/** Transport statistics of one peer connection. @internal */
export interface BackendStats {
  /** Milliseconds. */
  roundTripMs?: number;
  /** Cumulative packets lost and received (the session computes interval loss). */
  packetsLost: number;
  packetsReceived: number;
  packetsSent: number;
  /** Cumulative bytes (sent for the local publisher, received for a subscriber). */
  bytes: number;
  /** Epoch milliseconds of the sample. */
  timestamp: number;
  /**
   * The media server's own quality grade, when the backend has one (LiveKit's connection quality);
   * the session shows it instead of its client-side classifier's level.
   */
  level?: QualityLevel;
  /**
   * The selected ICE pair's cumulative `totalRoundTripTime` (seconds) and `responsesReceived`: the
   * session averages the round trips measured within an interval instead of reading one stale check.
   */
  rttTotalSeconds?: number;
  rttResponses?: number;
  /** Interarrival jitter in ms (audio's when there is audio; receiver-reported for a publisher). */
  jitterMs?: number;
  /** Publisher: the video encoder's `qualityLimitationReason` (Chromium; absent in Firefox). */
  qualityLimitationReason?: string;
  /** Publisher: the selected candidate pair's `availableOutgoingBitrate`, kbit/s. */
  availableOutgoingKbps?: number;
  /** Publisher: sum of the encoders' `targetBitrate`, kbit/s. */
  targetKbps?: number;
  /** Subscriber: cumulative video `freezeCount` and `totalFreezesDuration` (ms). */
  freezeCount?: number;
  totalFreezesMs?: number;
  /** The selected ICE pair's local candidate type (`host`, `srflx`, `prflx`, `relay`). */
  candidateType?: string;
  /** A relay (TURN) candidate was gathered on this connection. */
  relayCandidate?: boolean;
  /** The connection was configured with a TURN server (`turn:`/`turns:` URL). */
  turnConfigured?: boolean;
}

/** What the session needs from a media server client. @internal */
export interface MediaBackend {
  /** Connects with a media server token. Resolves with the local connection id. */
  connect(
    token: string,
    clientData: string,
    signal?: AbortSignal,
  ): Promise<{ connectionId: string }>;
  disconnect(): Promise<void>;
  /** Publishes camera/microphone tracks the session captured. */
  publish(options: PublishOptions): Promise<void>;
  unpublish(): Promise<void>;
  setAudioEnabled(enabled: boolean): Promise<void>;
  setVideoEnabled(enabled: boolean): Promise<void>;
  /** Swaps a published track without renegotiating. */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void>;
  publishScreen(track: MediaStreamTrack): Promise<void>;
  unpublishScreen(): Promise<void>;
  /** Stops (or restarts) receiving video from everyone, for audio-only mode. */
  setReceiveVideo(enabled: boolean): Promise<void>;
  sendSignal(type: string, data: string, to?: readonly string[]): Promise<void>;
  /** Stats for the local publisher (`connectionId` = local) or a subscription. */
  getStats(connectionId: string): Promise<BackendStats | undefined>;
  on<K extends keyof BackendEventMap>(
    event: K,
    listener: (detail: BackendEventMap[K]) => void,
  ): Unsubscribe;
}

/** The media server a token is for, from the token server's answer. @public */
export interface MediaServerInfo {
  /** `openvidu` (OpenVidu 2) or `livekit` (LiveKit, LiveKit Cloud, OpenVidu 3). */
  backend: MediaBackendKind;
  /** The server URL the backend connects to (LiveKit; OpenVidu's token carries its own). */
  url?: string;
}

/**
 * Creates a backend for the media server the token is for; the default loads the OpenVidu or the
 * LiveKit adapter lazily. Called once per connection attempt, after the token arrived.
 * @internal
 */
export type MediaBackendFactory = ((server: MediaServerInfo) => Promise<MediaBackend>) & {
  /**
   * Starts loading the adapter the token will most likely name while the token is requested, so
   * choosing the backend after the token costs no extra round trip. Optional; errors are ignored.
   */
  preload?: () => void;
};
