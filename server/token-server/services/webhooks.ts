/**
 * OpenVidu's webhooks, after the shared secret was checked: joins and leaves go to the audit trail,
 * recording status changes to the recordings, chat signals to the chat history. Events about
 * sessions this server does not know are acknowledged and ignored.
 */
import { timingSafeEqual } from 'node:crypto';
import type { z } from '@hono/zod-openapi';
import type { WebhookAuthOptions } from '../options.js';
import * as S from '../schemas.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { ConsultRepository } from '../repositories/consults.js';
import type { LobbyRepository } from '../repositories/lobby.js';
import type { AuditLog } from './audit-log.js';
import type { ChatService } from './chat.js';
import { mapRecordingStatus } from './recording-status.js';
import type { RecordingService } from './recordings.js';
import type { TokenService } from './tokens.js';

export type WebhookEvent = z.infer<typeof S.WebhookSchema>;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the request carries the configured webhook secret (false when none is configured). */
export function webhookAuthorized(
  config: WebhookAuthOptions | undefined,
  request: Request,
): boolean {
  if (!config) return false;
  const header = (config.header ?? 'authorization').toLowerCase();
  const value = request.headers.get(header);
  if (value === null) return false;
  const expected = header === 'authorization' ? `Bearer ${config.secret}` : config.secret;
  return sameSecret(value.trim(), expected);
}

export interface WebhookServiceDeps {
  consults: ConsultRepository;
  connections: ConnectionRepository;
  lobby: LobbyRepository;
  audit: AuditLog;
  recordings: RecordingService;
  chat: ChatService;
  tokens: TokenService;
}

export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  async handle(ev: WebhookEvent): Promise<void> {
    const sessionId = ev.sessionId;
    if (!sessionId || !S.ID_PATTERN.test(sessionId)) return;
    if (!(await this.deps.consults.getConsult(sessionId))) return;
    switch (ev.event) {
      case 'participantJoined':
      case 'participantLeft':
        return this.participant(sessionId, ev);
      case 'recordingStatusChanged':
        return this.recording(sessionId, ev);
      case 'signalSent':
        return this.deps.chat.ingest(sessionId, ev);
      default:
        return;
    }
  }

  /**
   * Whether a connection that just joined may stay: it was issued by this server for this
   * consultation, the consultation has not ended and its user was not removed since. OpenVidu
   * revokes a pending token when the user is removed; a LiveKit token cannot be revoked before it
   * expires, so the LiveKit webhook removes such a participant as soon as it joins.
   */
  async mayStay(consultId: string, connectionId: string): Promise<boolean> {
    const consult = await this.deps.consults.getConsult(consultId);
    if (!consult) return true; // a room this server does not manage
    if (consult.endedAt) return false;
    const conn = await this.deps.connections.getConnection(connectionId);
    if (!conn || conn.consultId !== consultId) return false;
    return (await this.deps.lobby.lobbyStatus(consultId, conn.userId))?.status !== 'denied';
  }

  private async participant(sessionId: string, ev: WebhookEvent): Promise<void> {
    if (!ev.connectionId) return;
    const joined = ev.event === 'participantJoined';
    if (joined) this.deps.tokens.used(ev.connectionId);
    const conn = await this.deps.connections.markConnection(
      ev.connectionId,
      joined ? 'joined' : 'left',
    );
    if (!conn || conn.consultId !== sessionId) return;
    await this.deps.audit.record(
      sessionId,
      joined ? 'participant.joined' : 'participant.left',
      { id: conn.userId, role: conn.role },
      {
        ...(ev.ip ? { ip: ev.ip } : {}),
        details: {
          connectionId: conn.connectionId,
          ...(ev.reason ? { reason: ev.reason } : {}),
        },
      },
    );
  }

  private async recording(sessionId: string, ev: WebhookEvent): Promise<void> {
    const status = ev.status ? mapRecordingStatus(ev.status) : undefined;
    if (!ev.id || !status || !S.RECORDING_ID_PATTERN.test(ev.id)) return;
    const ready = status === 'ready' || status === 'failed';
    await this.deps.recordings.applyWebhook(
      sessionId,
      {
        recordingId: ev.id,
        consultId: sessionId,
        status,
        startedAt: ev.startTime ? new Date(ev.startTime).toISOString() : undefined,
        stoppedAt:
          status === 'processing' || ready
            ? new Date(ev.timestamp ?? Date.now()).toISOString()
            : undefined,
        duration: ready ? ev.duration : undefined,
        size: ready ? ev.size : undefined,
        reason:
          status === 'failed' || status === 'processing' ? (ev.reason ?? undefined) : undefined,
        name: ev.name,
        outputMode: ev.outputMode,
      },
      ev.reason ?? undefined,
    );
  }
}
