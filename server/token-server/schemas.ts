/**
 * The zod schemas that validate requests and generate the OpenAPI 3.1 document. Response schemas
 * mirror `src/contract.ts` (the `satisfies` checks below keep them in step at compile time).
 */
import { z } from '@hono/zod-openapi';
import {
  API_ERROR_CODES,
  MEDIA_BACKENDS,
  DEVICE_CHECK_RESULTS,
  MAX_CHAT_MESSAGE_LENGTH,
  SERVER_RECORDING_STATUSES,
} from '../../src/contract.js';
import type {
  AuditEntry,
  ConsentState,
  ErrorBody,
  LobbyEntry,
  LoginResponse,
  RecordingInfo,
  StoredChatMessage,
  TokenResponse,
  WaitingResponse,
} from '../../src/contract.js';
import { cleanDisplayName } from './display-name.js';

/** OpenVidu's custom session id alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
/** Recording ids are `sessionId` or `sessionId~N`. */
export const RECORDING_ID_PATTERN = /^[A-Za-z0-9_~-]{1,110}$/;
/** User ids in paths (JWT `sub`): printable, no slash. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:@|+=~-]{1,200}$/;

export const ConsultParams = z.object({
  consultId: z
    .string()
    .regex(ID_PATTERN)
    .openapi({ param: { name: 'consultId', in: 'path' }, example: 'consult-42' }),
});
export const RecordingParams = ConsultParams.extend({
  recordingId: z
    .string()
    .regex(RECORDING_ID_PATTERN)
    .openapi({ param: { name: 'recordingId', in: 'path' }, example: 'consult-42~1' }),
});
export const LobbyParams = ConsultParams.extend({
  userId: z
    .string()
    .regex(USER_ID_PATTERN)
    .openapi({ param: { name: 'userId', in: 'path' }, example: 'patient' }),
});

const limitQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' }, example: 100 }),
});
export const LimitQuery = limitQuery;

export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters')
  .refine((v) => cleanDisplayName(v) !== undefined, 'no visible characters');

const deviceCheckResult = z.enum(DEVICE_CHECK_RESULTS);
export const DeviceCheckSchema = z
  .object({ camera: deviceCheckResult, microphone: deviceCheckResult })
  .strict()
  .openapi('DeviceCheck');
export const TokenRequestSchema = z
  .object({ displayName: displayName.optional(), deviceCheck: DeviceCheckSchema.optional() })
  .strict()
  .openapi('TokenRequest');
export const LoginRequestSchema = z
  .object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) })
  .strict()
  .openapi('LoginRequest');
export const ConsentRequestSchema = z
  .object({ granted: z.boolean() })
  .strict()
  .openapi('ConsentRequest');
export const DenyRequestSchema = z
  .object({ reason: z.string().max(200).optional() })
  .strict()
  .openapi('DenyRequest');
export const EmptyRequestSchema = z.object({}).strict().openapi('EmptyRequest');

const role = z.enum(['provider', 'patient', 'guest']);

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES).openapi({ example: 'forbidden' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

export const TokenResponseSchema = z
  .object({
    token: z.string(),
    consultId: z.string(),
    connectionId: z.string(),
    backend: z.enum(MEDIA_BACKENDS).optional().openapi({
      description:
        'Media server the token is for: `livekit` (LiveKit, OpenVidu 3) or, when absent, `openvidu` (OpenVidu 2)',
    }),
    serverUrl: z
      .string()
      .optional()
      .openapi({ description: 'Media server URL the SDK connects to (present with `livekit`)' }),
    role,
    expiresAt: z.string(),
    userId: z.string().optional(),
    displayName: z.string().optional(),
    recording: z
      .object({
        active: z.literal(true),
        consentRequired: z.boolean(),
        consentDeadline: z.string().optional(),
      })
      .optional()
      .openapi({
        description:
          'A recording is running: the user is told before publishing and, with consentRequired, asked; it stops at consentDeadline unless they consent',
      }),
  })
  .openapi('TokenResponse');
export const WaitingResponseSchema = z
  .object({
    status: z.literal('waiting'),
    consultId: z.string(),
    position: z.number().int().optional(),
    recording: z
      .boolean()
      .optional()
      .openapi({ description: 'True while the consultation is being recorded' }),
  })
  .openapi('WaitingResponse');
export const LobbyEntrySchema = z
  .object({
    userId: z.string(),
    displayName: z.string(),
    role,
    since: z.string(),
    deviceCheck: DeviceCheckSchema.optional(),
  })
  .openapi('LobbyEntry');
export const LobbySchema = z.object({ waiting: z.array(LobbyEntrySchema) }).openapi('Lobby');
export const LobbyDecisionSchema = z
  .object({ userId: z.string(), status: z.enum(['admitted', 'denied']) })
  .openapi('LobbyDecision');
export const RecordingInfoSchema = z
  .object({
    recordingId: z.string(),
    consultId: z.string(),
    status: z.enum(SERVER_RECORDING_STATUSES),
    startedAt: z.string().optional(),
    stoppedAt: z.string().optional(),
    duration: z.number().optional(),
    size: z.number().optional(),
    reason: z.string().optional(),
  })
  .openapi('RecordingInfo');
export const RecordingListSchema = z
  .object({ recordings: z.array(RecordingInfoSchema) })
  .openapi('RecordingList');
export const ConsentEntrySchema = z
  .object({
    userId: z.string(),
    displayName: z.string(),
    role,
    granted: z.boolean().nullable(),
    answeredAt: z.string().optional(),
  })
  .openapi('ConsentEntry');
export const ConsentStateSchema = z
  .object({ requested: z.boolean(), entries: z.array(ConsentEntrySchema) })
  .openapi('ConsentState');
export const StoredChatMessageSchema = z
  .object({
    id: z.string(),
    consultId: z.string(),
    senderId: z.string(),
    senderName: z.string(),
    senderRole: role,
    connectionId: z.string(),
    text: z.string().max(MAX_CHAT_MESSAGE_LENGTH),
    sentAt: z.string(),
  })
  .openapi('StoredChatMessage');
export const MessageListSchema = z
  .object({ messages: z.array(StoredChatMessageSchema) })
  .openapi('MessageList');
export const AuditEntrySchema = z
  .object({
    id: z.string(),
    consultId: z.string(),
    action: z.string(),
    actorId: z.string(),
    actorRole: z.enum(['provider', 'patient', 'guest', 'system']).optional(),
    subjectId: z.string().optional(),
    ip: z.string().optional(),
    at: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('AuditEntry');
export const AuditListSchema = z
  .object({ entries: z.array(AuditEntrySchema) })
  .openapi('AuditList');
export const LoginResponseSchema = z
  .object({
    accessToken: z.string(),
    expiresAt: z.string(),
    user: z.object({ id: z.string(), displayName: z.string(), role }),
  })
  .openapi('LoginResponse');
export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    openvidu: z.enum(['up', 'down']),
    openviduLatencyMs: z.number().optional(),
  })
  .openapi('Health');
export const ReadySchema = z
  .object({
    status: z.literal('ready'),
    database: z.literal('up'),
    openvidu: z.literal('up'),
    openviduLatencyMs: z.number(),
  })
  .openapi('Ready');
export const OkSchema = z.object({}).openapi('Ok');
export const RemovedSchema = z
  .object({ userId: z.string(), status: z.literal('removed') })
  .openapi('ParticipantRemoved');
export const EndedSchema = z.object({ ended: z.literal(true) }).openapi('Ended');

/** Chat payload carried in OpenVidu `signalSent` webhooks (type `chat`). */
export const ChatSignalPayloadSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
  text: z.string().min(1).max(MAX_CHAT_MESSAGE_LENGTH),
  sentAt: z.string().max(40),
});

/**
 * Body of `POST …/messages`: a chat message the SDK sent over a media server whose webhooks do not
 * carry data (LiveKit), relayed for the history. `to` lists the recipients' connection ids of a
 * private message; absent for a message to everyone.
 */
export const ChatRelaySchema = z
  .object({
    connectionId: z.string().min(1).max(200),
    message: ChatSignalPayloadSchema,
    to: z.array(z.string().max(200)).max(1000).optional(),
  })
  .openapi('ChatRelay');

/** OpenVidu webhook body: only the fields we read are checked, the rest passes. */
export const WebhookSchema = z
  .object({
    event: z.string().max(100),
    sessionId: z.string().max(200).optional(),
    timestamp: z.number().optional(),
    connectionId: z.string().max(200).optional(),
    ip: z.string().max(100).nullish(),
    reason: z.string().max(100).nullish(),
    serverData: z.string().max(10_000).nullish(),
    // recordingStatusChanged
    id: z.string().max(200).optional(),
    name: z.string().max(200).optional(),
    status: z.string().max(40).optional(),
    outputMode: z.string().max(40).optional(),
    size: z.number().optional(),
    duration: z.number().optional(),
    startTime: z.number().optional(),
    // signalSent
    from: z.string().max(200).nullish(),
    to: z.array(z.string().max(200)).max(1000).nullish(),
    type: z.string().max(200).nullish(),
    data: z.string().max(200_000).nullish(),
  })
  .loose()
  .openapi('OpenViduWebhook');

// Compile-time checks that the schemas produce the contract's shapes.
type Out<T extends z.ZodType> = z.infer<T>;
true satisfies Out<typeof TokenResponseSchema> extends TokenResponse ? true : false;
true satisfies Out<typeof WaitingResponseSchema> extends WaitingResponse ? true : false;
true satisfies Out<typeof LobbyEntrySchema> extends LobbyEntry ? true : false;
true satisfies Out<typeof RecordingInfoSchema> extends RecordingInfo ? true : false;
true satisfies Out<typeof ConsentStateSchema> extends ConsentState ? true : false;
true satisfies Out<typeof StoredChatMessageSchema> extends StoredChatMessage ? true : false;
true satisfies Out<typeof AuditEntrySchema> extends AuditEntry ? true : false;
true satisfies Out<typeof LoginResponseSchema> extends LoginResponse ? true : false;
true satisfies Out<typeof ErrorSchema> extends ErrorBody ? true : false;
true satisfies TokenResponse extends Out<typeof TokenResponseSchema> ? true : false;
true satisfies RecordingInfo extends Out<typeof RecordingInfoSchema> ? true : false;
