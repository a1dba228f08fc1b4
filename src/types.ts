/**
 * Public state and event types of a consultation session. The elements and any framework adapter
 * depend on these and on {@link ConsultSessionLike} only.
 * @packageDocumentation
 */
import type { ConsultError } from './errors.js';
import type {
  ConsentState,
  DeviceCheckReport,
  LobbyEntry,
  ParticipantRole,
  RecordingInfo,
  RecordingStatus,
} from './contract.js';

export type { ParticipantRole, RecordingStatus, LobbyEntry, ConsentState, RecordingInfo };

/**
 * Connection lifecycle. `idle → fetching-token → (waiting →) connecting → connected ⇄ reconnecting →
 * disconnected | failed`. `disconnected` and `failed` are final.
 * @public
 */
export type ConnectionState =
  | 'idle'
  | 'fetching-token'
  | 'waiting'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnected'
  | 'failed';

/** Why the session is in its current connection state. @public */
export type ConnectionReason =
  | 'initial'
  | 'join-requested'
  | 'waiting-room'
  | 'admitted'
  | 'token-received'
  | 'media-connected'
  | 'network-lost'
  | 'network-recovered'
  | 'left'
  | 'evicted'
  | 'session-closed'
  | 'denied'
  | 'aborted'
  | 'error';

/** Three-level connection quality, computed from WebRTC network statistics in the client (`unknown` until measured). @public */
export type QualityLevel = 'good' | 'fair' | 'poor' | 'unknown';

/** Connection quality of one participant's media. @public */
export interface ConnectionQuality {
  level: QualityLevel;
  /** Round-trip time in milliseconds, when measured. */
  roundTripMs?: number;
  /** Packet loss over the last interval, 0–1. */
  packetLoss?: number;
  /** Current bitrate in kbit/s (send for the local participant, receive for remote ones); shown, not classified. */
  bitrateKbps?: number;
  /** Interarrival jitter in milliseconds, when measured. */
  jitterMs?: number;
}

/** One person in the consultation. @public */
export interface Participant {
  /** OpenVidu connection id. */
  id: string;
  /** The token server's user id, when known. */
  userId?: string;
  displayName: string;
  role: ParticipantRole;
  isLocal: boolean;
  audioEnabled: boolean;
  videoEnabled: boolean;
  /** True while a screen share of this participant is published. */
  screenSharing: boolean;
  speaking: boolean;
  /** Camera and microphone media (local preview for the local participant). */
  stream?: MediaStream;
  /** Screen share media, when sharing. */
  screenStream?: MediaStream;
  quality: ConnectionQuality;
  /** Epoch milliseconds when this participant joined. */
  joinedAt: number;
}

/** A capture or output device. @public */
export interface DeviceInfo {
  deviceId: string;
  kind: 'audioinput' | 'videoinput' | 'audiooutput';
  label: string;
  groupId?: string;
}

/** Local media settings and capabilities. @public */
export interface LocalMediaState {
  audioEnabled: boolean;
  videoEnabled: boolean;
  audioDeviceId?: string;
  videoDeviceId?: string;
  audioOutputId?: string;
  screenSharing: boolean;
  /** The user chose (or accepted) audio only: no video is sent or received. */
  audioOnly: boolean;
  /** Quality has stayed poor; the UI should offer audio-only. */
  audioOnlySuggested: boolean;
  canScreenShare: boolean;
  canSelectAudioOutput: boolean;
  /** Local preview stream (before and during the call). */
  previewStream?: MediaStream;
  /** Last capture error, cleared on success. */
  error?: ConsultError;
}

/** Delivery state of an outgoing chat message. @public */
export type DeliveryState = 'sending' | 'sent' | 'failed';

/** A chat message as the session shows it. @public */
export interface ChatMessage {
  id: string;
  /** Connection id of the sender (may be empty for history entries whose connection is gone). */
  senderId: string;
  senderName: string;
  senderRole: ParticipantRole;
  isLocal: boolean;
  text: string;
  /** Epoch milliseconds the sender stamped. */
  timestamp: number;
  /** Outgoing messages only; received ones are `sent`. */
  delivery: DeliveryState;
  /** The message came from the token server's history. */
  fromHistory?: boolean;
}

/** Chat state. @public */
export interface ChatState {
  /** Oldest first; deduplicated by id. */
  messages: readonly ChatMessage[];
  unread: number;
  historyLoaded: boolean;
}

/** Recording state. @public */
export interface RecordingState {
  status: RecordingStatus;
  recordingId?: string;
  /** Epoch milliseconds recording started. */
  startedAt?: number;
  /** Seconds, once stopped. */
  duration?: number;
  /** Consent state from the token server. */
  consent: ConsentState;
  /** True when the local user has been asked and has not answered yet. */
  consentPending: boolean;
  /** True when a finished recording can be downloaded by this user. */
  downloadable: boolean;
  /** Why the server stopped or failed the recording, e.g. `consent-declined` or `consent-timeout`. */
  reason?: string;
  error?: ConsultError;
}

/**
 * The whole state of a session, one immutable snapshot. A new object is created on every change, so
 * identity comparison tells whether anything changed (`useSyncExternalStore`, Lit controllers).
 * @public
 */
export interface SessionState {
  consultId: string;
  connection: ConnectionState;
  connectionReason: ConnectionReason;
  /** Everyone, local participant first, then in join order. */
  participants: readonly Participant[];
  localParticipantId?: string;
  role?: ParticipantRole;
  localMedia: LocalMediaState;
  devices: readonly DeviceInfo[];
  chat: ChatState;
  recording: RecordingState;
  /** Waiting-room queue (providers). */
  lobby: readonly LobbyEntry[];
  /** 1-based position while waiting, when known. */
  waitingPosition?: number;
  /** Epoch milliseconds when the local user and at least one other participant were first connected. */
  callStartedAt?: number;
  /** Epoch milliseconds when the session ended. */
  endedAt?: number;
  /** Last error that changed the connection, or a background failure. */
  error?: ConsultError;
}

/**
 * Discrete things that happen once. State is in {@link SessionState}; UI never has to rebuild state
 * from these.
 * @public
 */
export interface SessionEventMap {
  stateChanged: { state: SessionState; previous: SessionState };
  connectionChanged: {
    connection: ConnectionState;
    previous: ConnectionState;
    reason: ConnectionReason;
  };
  participantJoined: { participant: Participant };
  participantLeft: { participant: Participant; reason: string };
  messageReceived: { message: ChatMessage };
  messageStatusChanged: { message: ChatMessage };
  unreadChanged: { unread: number };
  recordingChanged: { recording: RecordingState };
  consentRequested: { consent: ConsentState };
  lobbyChanged: { lobby: readonly LobbyEntry[] };
  devicesChanged: { devices: readonly DeviceInfo[] };
  audioOnlySuggested: { quality: ConnectionQuality };
  /**
   * A provider asked the local user to mute (`from` is the provider, as the server identified their
   * connection). Nothing is muted: show the request and let the user mute.
   */
  muteRequested: { from: Participant };
  error: { error: ConsultError };
}

/** Unsubscribe function returned by `on()` and `subscribe()`. @public */
export type Unsubscribe = () => void;

/** Options of {@link ConsultSessionLike.connect}. @public */
export interface ConnectOptions {
  /** Cancels the connection attempt (token fetch, waiting, connecting); it rejects with `aborted`. */
  signal?: AbortSignal;
  /**
   * Name to show to the others, chosen at join time (for example in a pre-join name field). A
   * non-empty value overrides the session's `displayName` option for this connection; the token
   * server may still prefer the authenticated user's name.
   */
  displayName?: string;
  /**
   * The pre-join device check (camera and microphone results), sent with the token request so
   * providers see it next to the caller's place in the waiting room and in their queue.
   */
  deviceCheck?: DeviceCheckReport;
}

/** Options of {@link ConsultSessionLike.sendMessage}. @public */
export interface SendMessageOptions {
  /** Connection ids to send to; everyone when omitted. */
  to?: readonly string[];
}

/**
 * The narrow interface the elements (and any UI) use. The real session and `FakeSession` from
 * `consult-kit/testing` both implement it.
 * @public
 */
export interface ConsultSessionLike {
  readonly state: SessionState;
  subscribe(listener: (state: SessionState) => void): Unsubscribe;
  on<K extends keyof SessionEventMap>(
    event: K,
    listener: (detail: SessionEventMap[K]) => void,
  ): Unsubscribe;

  /**
   * Starts the camera/microphone preview before joining (added for the pre-join screen). Resolves
   * with the preview stream (also in `state.localMedia.previewStream`).
   */
  startPreview(options?: { signal?: AbortSignal }): Promise<MediaStream | undefined>;
  /**
   * Connects (fetching a token, waiting if needed). Resolves when connected. `displayName` sets the
   * name at join time, so a pre-join screen need not rebuild the session when the name changes.
   */
  connect(options?: ConnectOptions): Promise<void>;
  leave(): Promise<void>;

  setMicrophoneEnabled(enabled: boolean): Promise<void>;
  setCameraEnabled(enabled: boolean): Promise<void>;
  /** Switches the camera or microphone mid-call (or in the preview). */
  selectDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void>;
  /** Chooses the audio output, where the browser allows it. */
  selectAudioOutput(deviceId: string): Promise<void>;
  refreshDevices(): Promise<readonly DeviceInfo[]>;
  startScreenShare(): Promise<void>;
  stopScreenShare(): Promise<void>;
  setAudioOnly(audioOnly: boolean): Promise<void>;

  sendMessage(text: string, options?: SendMessageOptions): Promise<ChatMessage>;
  retryMessage(messageId: string): Promise<ChatMessage>;
  markRead(): void;

  startRecording(): Promise<void>;
  stopRecording(): Promise<void>;
  /** Answers the consent request. */
  setRecordingConsent(granted: boolean): Promise<void>;
  /** Downloads the ready recording: resolves to a URL the UI can open or a Blob. */
  downloadRecording(): Promise<{ url: string; fileName: string }>;

  admit(userId: string): Promise<void>;
  deny(userId: string, reason?: string): Promise<void>;
  /** Removes a participant from the consultation (providers). */
  removeParticipant(userId: string): Promise<void>;
  /**
   * Asks a participant (by connection id) to mute (providers); they see the request and mute
   * themselves. Nothing is muted remotely.
   */
  requestMute(participantId: string): Promise<void>;
}
