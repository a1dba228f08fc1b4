/**
 * The services of the token server and how they depend on each other. Built once the database is
 * open; route handlers reach them through `RouteDeps.services()`.
 */
import type { Authenticate, DemoAuth } from '../auth.js';
import type { EventHub } from '../events.js';
import type { Logger } from '../logger.js';
import type { MediaServer } from './media-server.js';
import type { Authorize } from '../options.js';
import type { Store } from '../store.js';
import { publicRecording } from '../store.js';
import type { EventStreamLimits } from './event-streams.js';
import { AccessControl } from './access.js';
import { AuditLog } from './audit-log.js';
import { ChatService } from './chat.js';
import { ConsentService } from './consent.js';
import { ConsultService } from './consults.js';
import { EventStreams } from './event-streams.js';
import { LobbyService } from './lobby.js';
import { RecordingService } from './recordings.js';
import { RetentionRepository } from '../repositories/retention.js';
import type { ResolvedRetention } from './retention.js';
import { RetentionService } from './retention.js';
import { TokenService } from './tokens.js';
import { InviteRepository } from '../repositories/invites.js';
import { QueueRepository } from '../repositories/queue.js';
import { InviteService } from './invites.js';
import { QueueService } from './queue.js';
import { WebhookService } from './webhooks.js';

export interface Services {
  access: AccessControl;
  audit: AuditLog;
  tokens: TokenService;
  lobby: LobbyService;
  consent: ConsentService;
  recordings: RecordingService;
  consults: ConsultService;
  chat: ChatService;
  streams: EventStreams;
  webhooks: WebhookService;
  retention: RetentionService;
  queue: QueueService;
  invites: InviteService;
}

export interface ServicesDeps {
  store: Store;
  hub: EventHub;
  ov: MediaServer;
  logger: Logger;
  primary: Authenticate | undefined;
  demo: DemoAuth | undefined;
  authorize: Authorize;
  waitingRoom: boolean | ((consultId: string) => boolean | Promise<boolean>);
  requireConsent: boolean;
  consentTimeoutMs: number;
  heartbeatMs: number;
  tokenTtlSec: number;
  /** Told about every token handed out (metrics). */
  onTokenIssued?: (role: 'provider' | 'patient' | 'guest') => void;
  retention: ResolvedRetention;
  eventStreamLimits?: EventStreamLimits | undefined;
}

export function createServices(deps: ServicesDeps): Services {
  const { store, hub, ov, logger } = deps;
  const events = hub;
  const {
    consults: consultRows,
    connections,
    lobby: lobbyRows,
    consents,
    recordings: recordingRows,
    chat: messages,
  } = store;
  const access = new AccessControl({
    primary: deps.primary,
    demo: deps.demo,
    authorize: deps.authorize,
    consults: consultRows,
    connections,
    lobby: lobbyRows,
    logger,
  });
  const audit = new AuditLog(store.auditTrail);
  const invites = new InviteService({
    invites: new InviteRepository(store.db),
    consults: consultRows,
    audit,
  });
  access.guests = (credential) => invites.authenticate(credential);
  const queue = new QueueService({
    rows: new QueueRepository(store.db),
    hub,
    access,
    audit,
    logger,
    heartbeatMs: deps.heartbeatMs,
  });
  const tokens = new TokenService({
    ov,
    connections,
    audit,
    logger,
    tokenTtlSec: deps.tokenTtlSec,
    ...(deps.onTokenIssued ? { onIssued: deps.onTokenIssued } : {}),
  });
  const lobby = new LobbyService({
    lobby: lobbyRows,
    events,
    audit,
    tokens,
    ov,
    consults: consultRows,
    connections,
    waitingRoom: deps.waitingRoom,
    catchUp: async (consultId, userId) => {
      const state = await consent.state(consultId);
      if (state.requested || state.entries.length > 0)
        await events.publish(consultId, 'consent', state, { userId });
      const latest = (await store.listRecordings(consultId))[0];
      if (latest) await events.publish(consultId, 'recording', publicRecording(latest), { userId });
    },
  });
  const consent = new ConsentService({
    ov,
    consults: consultRows,
    consents,
    recordings: recordingRows,
    events,
    audit,
  });
  const recordings = new RecordingService({
    ov,
    recordings: recordingRows,
    consults: consultRows,
    events,
    audit,
    consent,
    logger,
    requireConsent: deps.requireConsent,
    consentTimeoutMs: deps.consentTimeoutMs,
  });
  lobby.recordingNotice = (consultId, who) => recordings.noticeFor(consultId, who);
  lobby.recordingActive = async (consultId) =>
    (await recordingRows.activeRecording(consultId)) !== undefined;
  const consults = new ConsultService({
    ov,
    consults: consultRows,
    events,
    audit,
    recordings,
    logger,
  });
  const chat = new ChatService({ messages, connections, logger });
  const streams = new EventStreams({
    hub,
    store,
    consent,
    logger,
    heartbeatMs: deps.heartbeatMs,
    limits: deps.eventStreamLimits,
  });
  const webhooks = new WebhookService({
    consults: consultRows,
    connections,
    lobby: lobbyRows,
    audit,
    recordings,
    chat,
    tokens,
  });
  const retention = new RetentionService({
    rows: new RetentionRepository(store.db),
    recordings: recordingRows,
    ov,
    audit,
    consults,
    logger,
    retention: deps.retention,
  });
  return {
    access,
    audit,
    tokens,
    lobby,
    consent,
    recordings,
    consults,
    chat,
    streams,
    webhooks,
    retention,
    queue,
    invites,
  };
}
