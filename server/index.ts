/**
 * `consult-kit/server` (Node only): the reference token server and the embedded
 * OpenVidu-2.32-compatible development media server. Their dependencies (hono, @hono/node-server,
 * @hono/zod-openapi, zod, jose, @electric-sql/pglite, ws, werift, yazl) are optional peer
 * dependencies of consult-kit: install them to use this entry.
 * @packageDocumentation
 */
export {
  createTokenServer,
  startTokenServer,
  mapRecordingStatus,
  DEMO_USERS,
  roleFromClaims,
  roleFromFhirUser,
  migrate,
  openPgliteDb,
  pgliteDb,
  OpenViduClient,
  createJsonLogger,
  silentLogger,
} from './token-server/index.js';
export type {
  TokenServer,
  StartTokenServerOptions,
  RunningTokenServer,
  Authorize,
  AuthorizeUrlOptions,
  AuthorizeCallbackBody,
  ConsultAction,
  DemoOptions,
  TokenServerOptions,
  WebhookAuthOptions,
  AuthenticatedUser,
  Authenticate,
  JwtAuthOptions,
  Db,
  Logger,
  LogLevel,
} from './token-server/index.js';
export { startDevMediaServer } from './dev-media-server/index.js';
export type {
  DevMediaServer,
  DevMediaServerOptions,
  DevMediaServerStats,
  DevMediaServerTimeouts,
  DevMediaServerLimits,
  IceServerOption,
  MediaRouter,
  WebhookEventName,
  WebhookOptions,
} from './dev-media-server/index.js';
