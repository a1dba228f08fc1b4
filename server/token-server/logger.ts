/**
 * The token server's logger: the shared JSON logger of `server/shared/logger.ts`.
 */
export { createJsonLogger, silentLogger } from '../shared/logger.js';
export type { Logger, LogLevel } from '../shared/logger.js';
