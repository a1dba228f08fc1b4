/**
 * The dev media server's logger: the shared JSON logger of `server/shared/logger.ts`. The default is
 * silent so tests and embedding apps stay quiet. Callers must never pass the secret, signal data,
 * participant metadata or SDP in `fields` (ids, counts, codes and reasons only).
 */
export { createJsonLogger, silentLogger } from '../shared/logger.js';
export type { Logger, LogLevel } from '../shared/logger.js';

/** Fields every line of the dev media server carries (pass as `createJsonLogger`'s `base`). */
export const MEDIA_LOG_FIELDS = { component: 'dev-media-server' } as const;
