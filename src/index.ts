/**
 * ConsultKit SDK: framework-agnostic, DOM-free video consultations on OpenVidu 2. Importing this
 * module has no side effects and touches no `window` or `document` (SSR-safe).
 * @packageDocumentation
 */

/** Creates a client; the entry point of the SDK. @public */
export { createConsultClient } from './client.js';
/** Options and interface of the client. @public */
export type { ConsultClient, ConsultClientOptions, JoinOptions } from './client.js';
/** A consultation session (snapshot state, typed events, commands). @public */
export { ConsultSession } from './session.js';
/** Options of a session. @public */
export type { SessionOptions } from './session.js';
/** Token sources and results. @public */
export type { FetchToken, FetchTokenRequest, TokenResult, TokenUrl } from './api.js';
/** Bearer-token provider and retry policy of token-server requests. @public */
export type { AuthProvider, RetryOptions } from './http.js';
/** The one error class, its device-failure subclass, and the getUserMedia translation. @public */
export { ConsultError, MediaDeviceError, translateMediaError } from './errors.js';
/** Error codes and options. @public */
export type { ConsultErrorCode, ConsultErrorOptions, MediaDeviceFailure } from './errors.js';
/** State, event and interface types the elements and adapters use. @public */
export type {
  ConsultSessionLike,
  SessionState,
  SessionEventMap,
  ConnectionState,
  ConnectionReason,
  ConnectionQuality,
  QualityLevel,
  Participant,
  DeviceInfo,
  LocalMediaState,
  ChatMessage,
  ChatState,
  DeliveryState,
  RecordingState,
  SendMessageOptions,
  ConnectOptions,
  Unsubscribe,
} from './types.js';
/** The connection state machine (transition table and guard). @public */
export {
  CONNECTION_TRANSITIONS,
  FINAL_CONNECTION_STATES,
  canTransition,
  transition,
} from './state-machine.js';
/** Types of the connection state machine. @public */
export type { AllowedTarget, ConnectionStatus } from './state-machine.js';
/** Local camera, microphone and screen, usable on its own (e.g. a device-check page). @public */
export { LocalMedia } from './local-media.js';
/** Types of {@link LocalMedia}. @public */
export type { LocalMediaOptions, LocalMediaEventMap, LocalMediaSink } from './local-media.js';
/**
 * Quality sampling constants. The classifier itself (`quality.ts`, thresholds and smoothing documented
 * there and in docs/events.md) loads on demand once a call is up.
 * @public
 */
export { QUALITY_SAMPLE_INTERVAL_MS, AUDIO_ONLY_SUGGESTION_SAMPLES } from './quality-constants.js';
/** The chat signal type. @public */
export { CHAT_SIGNAL_TYPE } from './chat.js';
/** The mute-request signal type and its payload. @public */
export { MUTE_REQUEST_SIGNAL_TYPE } from './mute-request.js';
/** The payload of a mute-request signal. @public */
export type { MuteRequestSignalPayload } from './mute-request.js';
/** A downloadable recording. @public */
export type { RecordingDownload } from './recording.js';
/** Default display name of participants without server data. @public */
export { DEFAULT_DISPLAY_NAME } from './participants.js';
/** Logging: the interface, a silent default and a console logger with levels. @public */
export { createLogger, silentLogger } from './logger.js';
/** Logging types. @public */
export type { Logger, LogLevel, LogSink } from './logger.js';
/** Injected platform dependencies and their browser defaults. @public */
export { browserPlatform, systemClock } from './platform.js';
/** Platform types. @public */
export type { Platform, Clock, MediaDevicesLike } from './platform.js';
/** The media backend contract (for custom backends). @public */
export type {
  MediaBackend,
  MediaBackendFactory,
  BackendEventMap,
  BackendConnection,
  BackendStream,
  BackendStats,
  PublishOptions,
  MediaServerInfo,
} from './backend.js';
/** The provider's queue across consultations (lazy event stream). @public */
export { createQueueClient } from './queue.js';
/** Queue types. @public */
export type {
  QueueClientLike,
  QueueClientOptions,
  QueueEventMap,
  QueueState,
  QueueStatus,
} from './queue.js';
/** Invited guests: redeem the invite secret for a guest credential. @public */
export { redeemInvite } from './invites.js';
/** Options of {@link redeemInvite}. @public */
export type { RedeemInviteOptions } from './invites.js';
/** Token-server contract: the chat length limit, the error codes and the recording statuses. @public */
export {
  MAX_CHAT_MESSAGE_LENGTH,
  API_ERROR_CODES,
  MEDIA_BACKENDS,
  SERVER_RECORDING_STATUSES,
} from './contract.js';
/** Token-server contract types (shared with server implementations). @public */
export type {
  ParticipantRole,
  TokenRequest,
  TokenResponse,
  RecordingNotice,
  WaitingResponse,
  LobbyEntry,
  QueueEntry,
  QueueSnapshot,
  QueueServerEventMap,
  DeviceCheckReport,
  DeviceCheckResult,
  InviteInfo,
  InviteRedemption,
  CreateInviteRequest,
  CreateInviteResponse,
  RecordingStatus,
  RecordingInfo,
  ConsentEntry,
  ConsentState,
  ConsentRequest,
  StoredChatMessage,
  ChatSignalPayload,
  ConnectionServerData,
  ConsultServerEventMap,
  ConsultServerEventName,
  ErrorBody,
  ApiErrorCode,
  ServerRecordingStatus,
  MediaBackendKind,
  PrecheckTokenResponse,
} from './contract.js';
/** The pre-call test (`client.precheck()`): options, state, events and the loggable result. @public */
export type {
  Precheck,
  PrecheckAdvice,
  PrecheckCandidateType,
  PrecheckDeviceResult,
  PrecheckEventMap,
  PrecheckNetworkResult,
  PrecheckOptions,
  PrecheckPhase,
  PrecheckResult,
  PrecheckSpeakerResult,
  PrecheckState,
  PrecheckTurnStatus,
  PrecheckVerdict,
} from './precheck-types.js';
/**
 * Development warnings (`[consult] …` once per code, dropped from production builds), for the
 * elements of this package.
 * @internal
 */
export { warnOnce } from './dev.js';
