/**
 * Recording consent. Each participant answers for themselves; a provider asking for a recording
 * consents implicitly; while someone connected has not consented the request stays pending (and
 * {@link ConsentService.gate} answers 412 `consent-required`). An answer holds for one recording:
 * when that recording ends every answer is forgotten ({@link ConsentService.endRound}), so the next
 * recording asks everyone again. Someone who joins while a recording runs is asked too (`requested`
 * stays true while a running recording has an unanswered entry).
 */
import type { ConnectionServerData, ConsentState, ParticipantRole } from '../../../src/contract.js';
import { ApiError } from '../errors.js';
import type { EventPublisher } from '../events.js';
import type { MediaServer } from './media-server.js';
import type { ConsentRepository } from '../repositories/consents.js';
import type { ConsultRepository } from '../repositories/consults.js';
import type { RecordingRepository } from '../repositories/recordings.js';
import type { UserRef } from '../store.js';
import type { AuditLog } from './audit-log.js';

export interface ConsentServiceDeps {
  ov: MediaServer;
  consults: ConsultRepository;
  consents: ConsentRepository;
  recordings: RecordingRepository;
  events: EventPublisher;
  audit: AuditLog;
}

export class ConsentService {
  constructor(private readonly deps: ConsentServiceDeps) {}

  /** Whether a recording was asked for, and everyone's answer. */
  async state(consultId: string): Promise<ConsentState> {
    const { consults, consents, recordings } = this.deps;
    const consult = await consults.getConsult(consultId);
    const entries = await consents.consentEntries(consultId);
    const requested =
      consult?.consentRequestedAt !== undefined ||
      (entries.some((e) => e.granted === null) &&
        (await recordings.activeRecording(consultId)) !== undefined);
    return { requested, entries };
  }

  /** A recording ended: its answers are spent; the next recording asks everyone again. */
  async endRound(consultId: string): Promise<void> {
    await this.deps.consents.clearConsents(consultId);
    await this.publish(consultId);
  }

  /** Whether the user has consented to the current (or next) recording. */
  async hasGranted(consultId: string, userId: string): Promise<boolean> {
    const entries = await this.deps.consents.consentEntries(consultId);
    return entries.some((e) => e.userId === userId && e.granted === true);
  }

  /** Asks one user (a joiner while a recording runs); everyone sees the pending entry. */
  async ask(consultId: string, user: UserRef): Promise<void> {
    await this.deps.consents.addConsentEntries(consultId, [user]);
    await this.publish(consultId);
  }

  /** Publishes the current state to everyone in the consultation. */
  async publish(consultId: string): Promise<void> {
    await this.deps.events.publish(consultId, 'consent', await this.state(consultId));
  }

  /** Users connected to the OpenVidu session right now (from each connection's server data). */
  async connectedUsers(consultId: string): Promise<UserRef[]> {
    const session = await this.deps.ov.getSession(consultId);
    const out = new Map<string, UserRef>();
    for (const conn of session?.connections.content ?? []) {
      if (conn.status !== 'active') continue;
      try {
        const d = JSON.parse(conn.serverData) as Partial<ConnectionServerData>;
        if (typeof d.userId === 'string' && typeof d.displayName === 'string' && d.role)
          out.set(d.userId, { id: d.userId, displayName: d.displayName, role: d.role });
      } catch {
        // a connection not made by this server
      }
    }
    return [...out.values()];
  }

  /** Connected users who have not consented. */
  async missing(consultId: string): Promise<UserRef[]> {
    const connected = await this.connectedUsers(consultId);
    const granted = new Set(
      (await this.deps.consents.consentEntries(consultId))
        .filter((e) => e.granted === true)
        .map((e) => e.userId),
    );
    return connected.filter((u) => !granted.has(u.id));
  }

  /** Records a participant's answer; a refusal also cancels a pending request. */
  async answer(
    consultId: string,
    user: UserRef,
    granted: boolean,
    ip: string | undefined,
  ): Promise<void> {
    const { consults, consents, audit } = this.deps;
    await consents.setConsent(consultId, user, granted);
    await audit.record(consultId, granted ? 'consent.given' : 'consent.revoked', user, { ip });
    if (!granted) await consults.setConsentRequested(consultId, null);
  }

  /**
   * Before a provider's recording: their request is their own consent; if anyone connected is
   * missing, the request becomes pending, everyone is asked, and this throws 412.
   */
  async gate(consultId: string, user: UserRef, ip: string | undefined): Promise<void> {
    const { consults, consents, audit } = this.deps;
    const entries = await consents.consentEntries(consultId);
    if (entries.find((e) => e.userId === user.id)?.granted !== true) {
      await consents.setConsent(consultId, user, true);
      await audit.record(consultId, 'consent.given', user, { details: { implicit: true }, ip });
    }
    const missing = await this.missing(consultId);
    if (missing.length === 0) return;
    await consents.addConsentEntries(consultId, missing);
    if (await consults.setConsentRequested(consultId, user.id))
      await audit.record(consultId, 'consent.requested', user, {
        details: { missing: missing.map((m) => m.id) },
        ip,
      });
    await this.publish(consultId);
    throw new ApiError(412, 'consent-required', 'Every participant must consent first.', {
      details: { missing: missing.map((m) => m.id) },
    });
  }

  /**
   * Settles a pending request once nobody connected is missing: returns who asked for it, or
   * undefined when there is none, someone is still missing, or another caller (on any instance)
   * won the transition.
   */
  async settlePending(
    consultId: string,
  ): Promise<{ id: string; role: ParticipantRole } | undefined> {
    const { consults } = this.deps;
    const consult = await consults.getConsult(consultId);
    if (!consult?.consentRequestedAt) return undefined;
    if ((await this.missing(consultId)).length > 0) return undefined;
    if (!(await consults.setConsentRequested(consultId, null))) return undefined;
    await this.publish(consultId);
    return { id: consult.consentRequestedBy ?? 'system', role: 'provider' };
  }
}
