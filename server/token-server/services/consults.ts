/**
 * A consultation's lifecycle: it comes into being with its first token or event stream, and ends
 * when a provider ends it (the recording stops, the OpenVidu session closes, everyone hears `ended`).
 */
import type { ParticipantRole } from '../../../src/contract.js';
import { consultEnded, openViduUnavailable } from '../errors.js';
import type { EventPublisher } from '../events.js';
import type { Logger } from '../logger.js';
import type { MediaServer } from './media-server.js';
import { OpenViduHttpError, OpenViduUnavailableError } from '../openvidu-client.js';
import type { ConsultRepository } from '../repositories/consults.js';
import type { AuditLog } from './audit-log.js';
import type { RecordingService } from './recordings.js';

export interface ConsultServiceDeps {
  ov: MediaServer;
  consults: ConsultRepository;
  events: EventPublisher;
  audit: AuditLog;
  recordings: RecordingService;
  logger: Logger;
}

export class ConsultService {
  constructor(private readonly deps: ConsultServiceDeps) {}

  /** Creates the consult if it is new. */
  ensure(consultId: string): Promise<void> {
    return this.deps.consults.ensureConsult(consultId);
  }

  /** Creates the consult if it is new (one statement); 410 `consult-ended` once it has ended. */
  async ensureOpen(consultId: string): Promise<void> {
    const consult = await this.deps.consults.openConsult(consultId);
    if (consult.created) this.deps.audit.consultCreated(consultId);
    if (consult.endedAt) throw consultEnded();
  }

  /** 410 `consult-ended` once the consultation has ended. */
  async requireOpen(consultId: string): Promise<void> {
    const consult = await this.deps.consults.getConsult(consultId);
    if (consult?.endedAt) throw consultEnded();
  }

  /**
   * Ends the consultation for everyone; a second call does nothing. The OpenVidu session is closed
   * first: when that fails the consult is not marked ended (503), so a retry finishes the job.
   */
  async end(
    consultId: string,
    by: { id: string; role: ParticipantRole },
    ip: string | undefined,
  ): Promise<void> {
    const { consults, ov, events, audit, recordings, logger } = this.deps;
    const consult = await consults.getConsult(consultId);
    if (consult?.endedAt) return;
    await recordings.stopActive(consultId, by, 'consult-ended', ip);
    try {
      await ov.closeSession(consultId);
    } catch (e) {
      if (!(e instanceof OpenViduUnavailableError || e instanceof OpenViduHttpError)) throw e;
      logger.warn('could not close openvidu session; the consult stays open', { consultId });
      throw openViduUnavailable();
    }
    if (!(await consults.endConsult(consultId, 'ended-by-provider'))) return;
    await events.publish(consultId, 'ended', { reason: 'ended-by-provider' });
    await audit.record(consultId, 'consult.ended', by, { ip });
  }
}
