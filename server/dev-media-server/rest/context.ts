/**
 * What every REST route module gets: the configuration and the session lookups that turn a bad or
 * unknown id into OpenVidu's status (404 on the session's own paths, 400 below it).
 */
import type { SessionManager } from '../core.js';
import { HttpError } from '../errors.js';
import { isValidId } from '../ids.js';
import type { ImpairmentRules } from '../impairment.js';
import type { Logger } from '../logger.js';
import type { IceServerJson, SessionRecord } from '../model.js';
import type { RecordingOrchestrator } from '../recording.js';

export interface RestConfig {
  manager: SessionManager;
  recordings: RecordingOrchestrator;
  secret: string;
  publicUrl: string;
  recordingsDir: string;
  recordingEnabled: boolean;
  webhook:
    { url: string; headers: Record<string, string>; events: string[] | undefined } | undefined;
  iceServers: IceServerJson[];
  logger: Logger;
  /** Largest accepted REST body in bytes. */
  maxBodyBytes: number;
  /**
   * Browser origins allowed by CORS. `undefined`: any origin (reflected with credentials when
   * `loopback`, `*` without credentials otherwise).
   */
  allowedOrigins?: readonly string[] | undefined;
  /** True when the server listens on a loopback interface only. */
  loopback?: boolean;
  /** Network impairment rules (`/openvidu/api/dev/impairment`); absent = routes answer 404. */
  impairments?: ImpairmentRules;
}

export interface RestContext {
  cfg: RestConfig;
  /** The session, or a 404 with an empty body. */
  sessionOr404(id: string): SessionRecord;
  /** The session, or a 400 naming the id (OpenVidu's answer on connection/stream paths). */
  sessionOr400(id: string): SessionRecord;
}

export function createRestContext(cfg: RestConfig): RestContext {
  const find = (id: string): SessionRecord | undefined =>
    isValidId(id) ? cfg.manager.getSession(id) : undefined;
  return {
    cfg,
    sessionOr404(id) {
      const s = find(id);
      if (!s) throw new HttpError(404);
      return s;
    },
    sessionOr400(id) {
      const s = find(id);
      if (!s) throw HttpError.badRequest(`No session exists for the passed SESSION_ID: ${id}`);
      return s;
    },
  };
}
