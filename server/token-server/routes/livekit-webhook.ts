/**
 * `POST /api/livekit/webhook` (only with `MEDIA_BACKEND=livekit`): LiveKit's webhooks. Each is a
 * JSON body with an `Authorization` JWT signed with the API secret whose `sha256` claim is the
 * body's hash; `WebhookReceiver` checks both before anything is parsed. The events are mapped onto
 * the ones the OpenVidu receiver hands to the same service, so the audit trail, the recordings and
 * the token expiry behave the same:
 * `participant_joined`/`participant_left` → `participantJoined`/`participantLeft` (the identity is
 * the connection id), `egress_started`/`egress_updated`/`egress_ended` → `recordingStatusChanged`.
 * A participant who joins with a token this server would no longer honour (user removed,
 * consultation ended) is removed at once. LiveKit webhooks carry no data packets: chat history is
 * not fed from here (see docs/token-server.md).
 */
import type { Logger } from '../logger.js';
import { recordingOfEgress, type EgressLike } from '../livekit-server.js';
import type { MediaServer } from '../services/media-server.js';
import type { WebhookEvent } from '../services/webhooks.js';
import { errorMessage, unauthorized } from '../errors.js';
import type { App, RouteDeps } from './shared.js';

export interface LiveKitWebhookDeps extends RouteDeps {
  apiKey: string;
  apiSecret: string;
  media: MediaServer;
  logger: Logger;
}

interface LiveKitEventLike {
  event: string;
  createdAt?: bigint | number;
  room?: { name: string };
  participant?: { identity: string; disconnectReason?: number };
  egressInfo?: EgressLike;
}

/** `DisconnectReason` names for the audit trail (`participant.left` details). */
const LEFT_REASONS = [
  'unknown',
  'disconnect',
  'duplicateIdentity',
  'serverShutdown',
  'forceDisconnectByServer',
  'sessionClosedByServer',
  'stateMismatch',
  'joinFailure',
  'migration',
  'networkDisconnect',
  'roomClosed',
];

/** A LiveKit webhook as the OpenVidu-shaped event the webhook service handles (undefined: ignore). */
export function mapLiveKitWebhook(ev: LiveKitEventLike): WebhookEvent | undefined {
  const timestamp = ev.createdAt ? Number(ev.createdAt) * 1000 : Date.now();
  switch (ev.event) {
    case 'participant_joined':
    case 'participant_left': {
      if (!ev.room || !ev.participant) return undefined;
      const joined = ev.event === 'participant_joined';
      const reason = joined ? undefined : LEFT_REASONS[ev.participant.disconnectReason ?? 0];
      return {
        event: joined ? 'participantJoined' : 'participantLeft',
        sessionId: ev.room.name,
        connectionId: ev.participant.identity,
        timestamp,
        ...(reason ? { reason } : {}),
      };
    }
    case 'egress_started':
    case 'egress_updated':
    case 'egress_ended': {
      const info = ev.egressInfo;
      if (!info) return undefined;
      const r = recordingOfEgress(info);
      return {
        event: 'recordingStatusChanged',
        sessionId: r.sessionId,
        id: r.id,
        name: r.name,
        status: r.status,
        outputMode: r.outputMode,
        startTime: r.createdAt,
        timestamp,
        duration: r.duration,
        size: r.size,
        ...(r.status === 'failed' && info.error ? { reason: info.error.slice(0, 100) } : {}),
      };
    }
    default:
      return undefined;
  }
}

export function registerLiveKitWebhookRoute(app: App, deps: LiveKitWebhookDeps): void {
  let receiver: Promise<{ receive(body: string, auth?: string): Promise<LiveKitEventLike> }>;
  const load = () =>
    (receiver ??= import('livekit-server-sdk').then(
      (sdk) => new sdk.WebhookReceiver(deps.apiKey, deps.apiSecret),
    ));
  app.post('/api/livekit/webhook', async (c) => {
    const body = await c.req.text();
    let ev: LiveKitEventLike;
    try {
      ev = await (await load()).receive(body, c.req.header('authorization'));
    } catch {
      throw unauthorized('Bad webhook signature.');
    }
    const mapped = mapLiveKitWebhook(ev);
    if (!mapped) return c.json({}, 200);
    const webhooks = deps.services().webhooks;
    await webhooks.handle(mapped);
    if (
      mapped.event === 'participantJoined' &&
      mapped.sessionId &&
      mapped.connectionId &&
      !(await webhooks.mayStay(mapped.sessionId, mapped.connectionId))
    ) {
      try {
        await deps.media.destroyConnection(mapped.sessionId, mapped.connectionId);
        deps.logger.info('removed a participant whose token is no longer honoured', {
          consultId: mapped.sessionId,
        });
      } catch (e) {
        deps.logger.warn('could not remove a participant', { error: errorMessage(e) });
      }
    }
    return c.json({}, 200);
  });
}
