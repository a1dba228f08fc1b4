/**
 * The HTTP contract between the browser SDK and a ConsultKit token server. The reference server in
 * `server/token-server/` implements it; portals with Java/.NET/Python backends implement the same
 * shapes (the OpenAPI document at `/api/openapi.json` is generated from the server's schemas, which
 * must match these types). Every error response is `{ error: { code, message, details? } }`.
 * @packageDocumentation
 */

/** A participant's role in a consultation. @public */
export type ParticipantRole = 'provider' | 'patient' | 'guest';

/**
 * `200` answer of `POST /api/precheck`: two connection tokens of one throwaway media-server session
 * (no consultation, no chat, no recording). The pre-call test publishes with one and subscribes to
 * itself through the media server with the other. The server closes the session at `expiresAt`.
 * @public
 */
export interface PrecheckTokenResponse {
  /** Opaque id of the test (also the media server's session id); logged, never shown. */
  precheckId: string;
  /** Token of the connection that publishes the camera and microphone. */
  publisherToken: string;
  /** Token of the connection that subscribes to that stream. */
  subscriberToken: string;
  /** The media server the tokens are for, as in {@link TokenResponse} (absent: OpenVidu 2). */
  backend?: MediaBackendKind;
  /** The LiveKit server URL (`wss://…`) when `backend` is `livekit`. */
  serverUrl?: string;
  /** ISO 8601 time at which the server closes the test session. */
  expiresAt: string;
}

/** Maximum chat message length in characters, enforced by the SDK and the token server. @public */
export const MAX_CHAT_MESSAGE_LENGTH = 2000;

/**
 * The media servers a token can be for: `openvidu` (OpenVidu 2.32, the default) or `livekit`
 * (LiveKit self-hosted or Cloud, OpenVidu 3). @public
 */
export const MEDIA_BACKENDS = ['openvidu', 'livekit'] as const;

/** One of {@link MEDIA_BACKENDS}. @public */
export type MediaBackendKind = (typeof MEDIA_BACKENDS)[number];

/** Body of `POST /api/consults/{consultId}/token`. @public */
export interface TokenRequest {
  /** Name to show; the server may prefer the authenticated user's name. */
  displayName?: string;
  /**
   * The caller's pre-join device check, shown to providers next to their place in the waiting
   * room (`LobbyEntry.deviceCheck`, the provider's queue).
   */
  deviceCheck?: DeviceCheckReport;
}

/**
 * Result of checking one capture device before joining: `ok`, `off` (the user chose to join
 * without it), or why it failed. @public
 */
export type DeviceCheckResult =
  'ok' | 'off' | 'denied' | 'missing' | 'in-use' | 'insecure' | 'unsupported' | 'error' | 'pending';

/** Every {@link DeviceCheckResult}, for validation. @public */
export const DEVICE_CHECK_RESULTS = [
  'ok',
  'off',
  'denied',
  'missing',
  'in-use',
  'insecure',
  'unsupported',
  'error',
  'pending',
] as const satisfies readonly DeviceCheckResult[];

/** What a joining browser reports of its device check (`TokenRequest.deviceCheck`). @public */
export interface DeviceCheckReport {
  camera: DeviceCheckResult;
  microphone: DeviceCheckResult;
}

/** `200` answer of `POST /api/consults/{consultId}/token`. @public */
export interface TokenResponse {
  /**
   * Media server token: OpenVidu's connection token (`ws(s)://host?sessionId=…&token=tok_…`), or a
   * LiveKit access token (a JWT) when `backend` is `livekit`.
   */
  token: string;
  consultId: string;
  /** Connection id this token is bound to (OpenVidu `con_…`; LiveKit: the participant identity). */
  connectionId: string;
  /** Which media server the token is for; absent means `openvidu`. */
  backend?: MediaBackendKind;
  /** The media server URL the SDK connects to (`wss://…`); required when `backend` is `livekit`. */
  serverUrl?: string;
  role: ParticipantRole;
  /**
   * ISO 8601 time after which the token is no longer accepted: the reference server removes a
   * connection nobody joined with by then from OpenVidu.
   */
  expiresAt: string;
  /** The authenticated user's id, as the server knows it. */
  userId?: string;
  /** The name the server will show to others. */
  displayName?: string;
  /** Set when a recording is running as the user joins. */
  recording?: RecordingNotice;
}

/**
 * A recording is running as the user joins: they are told before their media is published and, when
 * consent is required, asked (the SDK publishes only after they consented or the recording stopped).
 * @public
 */
export interface RecordingNotice {
  active: true;
  /** The user must answer the consent request first. */
  consentRequired: boolean;
  /** ISO 8601: when the server stops the recording unless the user has consented. */
  consentDeadline?: string;
}

/** `202` answer of `POST /api/consults/{consultId}/token`: the patient waits in the waiting room. @public */
export interface WaitingResponse {
  status: 'waiting';
  consultId: string;
  /** 1-based position in the queue, when the server tells. */
  position?: number;
  /** True when the consultation is being recorded right now. */
  recording?: boolean;
}

/** One person in the waiting room. @public */
export interface LobbyEntry {
  userId: string;
  displayName: string;
  role: ParticipantRole;
  /** ISO 8601 time the person started waiting. */
  since: string;
  /** Their device check, when their browser reported one (`TokenRequest.deviceCheck`). */
  deviceCheck?: DeviceCheckReport;
}

/** One person waiting in the provider's queue (`GET /api/queue`). @public */
export interface QueueEntry extends LobbyEntry {
  consultId: string;
}

/** Answer of `GET /api/queue`: everyone waiting in the consults the caller may act on. @public */
export interface QueueSnapshot {
  /** Oldest first. */
  waiting: QueueEntry[];
}

/**
 * Events of `GET /api/queue/events` (Server-Sent Events, providers). A stream starts with `queue`
 * (the whole queue); each `queue-consult` replaces one consult's part of it.
 * @public
 */
export interface QueueServerEventMap {
  /** The whole queue (first event of every stream, also after a `Last-Event-ID` resume). */
  queue: QueueSnapshot;
  /** Who waits in one consult now (an empty list: nobody any more). */
  'queue-consult': { consultId: string; waiting: LobbyEntry[] };
}

/** An invitation for a guest without a portal account (`…/invites`). @public */
export interface InviteInfo {
  inviteId: string;
  consultId: string;
  role: 'guest';
  /** The name the guest appears under (chosen by the provider). */
  displayName: string;
  /** ISO 8601 time the invite was created. */
  createdAt: string;
  /** ISO 8601 time after which it can no longer be redeemed. */
  expiresAt: string;
  /** `active` until redeemed (`used`), revoked, or expired. */
  status: 'active' | 'used' | 'revoked' | 'expired';
  /** ISO 8601 time it was redeemed. */
  usedAt?: string;
  /** ISO 8601 time it was revoked. */
  revokedAt?: string;
}

/** Body of `POST /api/consults/{consultId}/invites`. @public */
export interface CreateInviteRequest {
  displayName: string;
  /** Seconds until the invite expires (default 86400, at most 7 days). */
  expiresInSec?: number;
}

/** Answer of `POST /api/consults/{consultId}/invites`: the secret is shown this once. @public */
export interface CreateInviteResponse {
  invite: InviteInfo;
  /** The single-use secret to put in the link sent to the guest; stored only hashed. */
  secret: string;
}

/** Answer of `POST /api/invites/redeem`: the guest's credential for that one consult. @public */
export interface InviteRedemption {
  consultId: string;
  /** Bearer credential for the token server (this consult only; guest role). */
  accessToken: string;
  /** ISO 8601 time the credential expires. */
  expiresAt: string;
  user: { id: string; displayName: string; role: 'guest' };
}

/**
 * Every status a token server reports for a recording (`RecordingInfo.status`), in lifecycle order.
 * The server's zod enum and the SDK's response check derive from this tuple.
 * @public
 */
export const SERVER_RECORDING_STATUSES = [
  'starting',
  'recording',
  'stopping',
  'processing',
  'ready',
  'failed',
  'deleted',
] as const;

/** One status of {@link SERVER_RECORDING_STATUSES}. @public */
export type ServerRecordingStatus = (typeof SERVER_RECORDING_STATUSES)[number];

/**
 * Recording lifecycle as the SDK and the elements see it: the server's statuses except `deleted`,
 * plus the client-side `idle` and `awaiting-consent`.
 * @public
 */
export type RecordingStatus =
  'idle' | 'awaiting-consent' | Exclude<ServerRecordingStatus, 'deleted'>;

/** A recording as the token server describes it (`GET …/recordings/{id}`, `recording` events). @public */
export interface RecordingInfo {
  recordingId: string;
  consultId: string;
  /** Server-side status: one of {@link SERVER_RECORDING_STATUSES}. */
  status: ServerRecordingStatus;
  /** ISO 8601. */
  startedAt?: string;
  stoppedAt?: string;
  /** Seconds, once known. */
  duration?: number;
  /** Bytes, once ready. */
  size?: number;
  /** Why it failed. */
  reason?: string;
}

/** One participant's recording consent. @public */
export interface ConsentEntry {
  userId: string;
  displayName: string;
  role: ParticipantRole;
  /** `null` while the participant has not answered. */
  granted: boolean | null;
  /** ISO 8601 time of the answer. */
  answeredAt?: string;
}

/** Consent state of a consultation (`consent` events). @public */
export interface ConsentState {
  /** True while a provider's start request waits for consent; every participant should be asked. */
  requested: boolean;
  entries: ConsentEntry[];
}

/** Body of `POST /api/consults/{consultId}/recording-consent`. @public */
export interface ConsentRequest {
  granted: boolean;
}

/** A chat message as the token server stores it (`GET …/messages`). @public */
export interface StoredChatMessage {
  id: string;
  consultId: string;
  senderId: string;
  senderName: string;
  senderRole: ParticipantRole;
  /** OpenVidu connection id of the sender. */
  connectionId: string;
  text: string;
  /** ISO 8601 time the sender stamped. */
  sentAt: string;
}

/**
 * The JSON carried in an OpenVidu signal of type `chat` (its `data` string). Receivers take the
 * sender's identity from the OpenVidu connection (server data), never from this payload.
 * @public
 */
export interface ChatSignalPayload {
  v: 1;
  id: string;
  text: string;
  /** ISO 8601. */
  sentAt: string;
}

/**
 * Server data the token server attaches to each OpenVidu connection (JSON in `serverData`/`data`).
 * @public
 */
export interface ConnectionServerData {
  userId: string;
  displayName: string;
  role: ParticipantRole;
}

/**
 * Events of `GET /api/consults/{consultId}/events` (Server-Sent Events; the SSE `event:` field is the
 * key, `data:` is the JSON value). Each event has an `id:` for `Last-Event-ID` resume.
 * @public
 */
export interface ConsultServerEventMap {
  /** Waiting room changed (providers only). */
  lobby: { waiting: LobbyEntry[] };
  /**
   * The waiting caller was admitted (that caller only). It carries no token: the caller asks
   * `POST …/token` again, which now answers `200`.
   */
  admitted: { consultId: string; userId: string };
  /** The waiting caller was denied (that caller only). */
  denied: { reason?: string };
  /** Recording status changed. */
  recording: RecordingInfo;
  /** Consent state changed. */
  consent: ConsentState;
  /** The consultation ended for everyone. */
  ended: { reason: string };
}

/** One SSE event name. @public */
export type ConsultServerEventName = keyof ConsultServerEventMap;

/**
 * Every error code a token server answers with, in `{ error: { code } }`. The reference server's
 * `ApiError`, its OpenAPI enum and the SDK's mapping onto `ConsultErrorCode` derive from this
 * tuple: a code added here does not compile until the SDK maps it.
 * @public
 */
export const API_ERROR_CODES = [
  'invalid-request',
  'unauthorized',
  'forbidden',
  'admission-denied',
  'consult-not-found',
  'consult-ended',
  'recording-not-found',
  'not-found',
  'conflict',
  'payload-too-large',
  'consent-required',
  'rate-limited',
  'openvidu-unavailable',
  'authorization-unavailable',
  'recording-failed',
  'invite-not-found',
  'invite-used',
  'invite-expired',
  'invite-revoked',
  'internal',
] as const;

/** One code of {@link API_ERROR_CODES}. @public */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Error body of every non-2xx token-server answer. @public */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: Record<string, unknown> };
}

/** Answer of `POST /api/auth/login` (demo mode). @public */
export interface LoginResponse {
  accessToken: string;
  expiresAt: string;
  user: { id: string; displayName: string; role: ParticipantRole };
}

/** One audit trail entry (`GET …/audit`). @public */
export interface AuditEntry {
  id: string;
  consultId: string;
  /** e.g. `token.issued`, `participant.joined`, `participant.left`, `lobby.admitted`, `lobby.denied`,
   * `consent.given`, `consent.revoked`, `recording.started`, `recording.stopped`, `recording.downloaded`,
   * `recording.deleted`. */
  action: string;
  /** User id of who did it (`system` for webhooks). */
  actorId: string;
  actorRole?: ParticipantRole | 'system';
  /** User the action concerned, when not the actor. */
  subjectId?: string;
  /** Client IP address. */
  ip?: string;
  /** ISO 8601. */
  at: string;
  details?: Record<string, unknown>;
}
