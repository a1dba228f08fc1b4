/**
 * The part of `openvidu-browser` the OpenVidu adapter uses: narrow structural types. The real
 * classes satisfy them (checked where the default factory builds an `OpenVidu`), and tests can hand
 * in small fakes through `openViduFactory`. Types only: importing this module loads nothing.
 * @packageDocumentation
 */
import type {
  OpenViduAdvancedConfiguration,
  PublisherProperties,
  SubscriberProperties,
} from 'openvidu-browser';

/** A participant's connection, as openvidu-browser exposes it. @internal */
export interface OvConnection {
  readonly connectionId: string;
  /** Client data and server data joined with `%/%` (either may be absent). */
  readonly data: string;
  readonly creationTime: number;
}

/** A published stream, local or remote. @internal */
export interface OvStream {
  readonly streamId: string;
  readonly connection: OvConnection;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly audioActive: boolean;
  readonly videoActive: boolean;
  /** `CAMERA`, `SCREEN`, `CUSTOM` (a track given by the app) or `IPCAM`. */
  readonly typeOfVideo?: string;
  /** Undefined at runtime before the media is ready. */
  getMediaStream(): MediaStream;
  getRTCPeerConnection(): RTCPeerConnection;
  /** openvidu-browser's internal emitter; `mediastream-updated` fires when the media is (re)built. */
  readonly ee?: { on(event: string, listener: () => void): unknown };
}

/** The `streamDestroyed` event of a publisher. @internal */
export interface OvStreamEvent {
  readonly stream: OvStream;
  readonly reason: string;
}

/** A local publisher. @internal */
export interface OvPublisher {
  readonly stream: OvStream;
  publishAudio(enabled: boolean): void;
  publishVideo(enabled: boolean, resource?: boolean | MediaStreamTrack): Promise<void>;
  replaceTrack(track: MediaStreamTrack): Promise<void>;
  on(type: 'streamDestroyed', handler: (event: OvStreamEvent) => void): unknown;
}

/** A subscription to a remote stream. @internal */
export interface OvSubscriber {
  readonly stream: OvStream;
  subscribeToVideo(value: boolean): unknown;
}

/** The Session events the adapter listens to (payload fields it reads). @internal */
export interface OvSessionEvents {
  connectionCreated: { readonly connection: OvConnection };
  connectionDestroyed: { readonly connection: OvConnection; readonly reason: string };
  streamCreated: { readonly stream: OvStream };
  streamDestroyed: { readonly stream: OvStream; readonly reason: string };
  streamPropertyChanged: {
    readonly stream: OvStream;
    readonly changedProperty: string;
    readonly newValue: unknown;
  };
  publisherStartSpeaking: { readonly connection: OvConnection };
  publisherStopSpeaking: { readonly connection: OvConnection };
  signal: { readonly type: string; readonly data?: string; readonly from?: OvConnection };
  sessionDisconnected: { readonly reason: string };
  reconnecting: unknown;
  reconnected: unknown;
  recordingStarted: { readonly id: string };
  recordingStopped: { readonly id: string; readonly reason?: string };
  exception: { readonly name: string; readonly message: string; readonly origin: unknown };
}

/** An OpenVidu Session. @internal */
export interface OvSession {
  /** Undefined until `connect` succeeds. */
  readonly connection: OvConnection | undefined;
  readonly remoteConnections: ReadonlyMap<string, OvConnection>;
  connect(token: string, metadata: string): Promise<unknown>;
  disconnect(): void;
  publish(publisher: OvPublisher): Promise<void>;
  unpublish(publisher: OvPublisher): Promise<void>;
  subscribe(
    stream: OvStream,
    targetElement: undefined,
    properties: SubscriberProperties,
    completionHandler: (error: Error | undefined) => void,
  ): OvSubscriber;
  signal(options: { type?: string; data?: string; to?: OvConnection[] }): Promise<void>;
  /** The adapter narrows `event` per type with {@link OvSessionEvents}. */
  on(type: keyof OvSessionEvents, handler: (event: unknown) => void): unknown;
  off(type: keyof OvSessionEvents, handler: (event: unknown) => void): unknown;
}

/** What the adapter needs from `new OpenVidu()`. @internal */
export interface OpenViduLike {
  initSession(): OvSession;
  initPublisherAsync(
    targetElement: undefined,
    properties: PublisherProperties,
  ): Promise<OvPublisher>;
  enableProdMode(): void;
  setAdvancedConfiguration(configuration: OpenViduAdvancedConfiguration): void;
  /** Closes the signalling WebSocket (hidden API; used after a failed connect). */
  closeWs?(): void;
}
