/**
 * Every SQL statement of the token server, as typed functions over {@link Db}. Plain PostgreSQL,
 * one repository per entity (`repositories/`); {@link Store} bundles them and keeps the flat method
 * names (`store.getConsult(…)` is `store.consults.getConsult(…)`).
 */
import type { Db } from './db.js';
import { AuditRepository } from './repositories/audit.js';
import { ConnectionRepository } from './repositories/connections.js';
import { ConsentRepository } from './repositories/consents.js';
import { ConsultRepository } from './repositories/consults.js';
import { EventRepository } from './repositories/events.js';
import { LobbyRepository } from './repositories/lobby.js';
import { MessageRepository } from './repositories/messages.js';
import { RecordingRepository } from './repositories/recordings.js';

export { iso } from './repositories/rows.js';
export type { ConsultRow } from './repositories/consults.js';
export type { ConnectionRow, UserRef } from './repositories/connections.js';
export type { LobbyStatus } from './repositories/lobby.js';
export type { RecordingUpsert, StoredRecording } from './repositories/recordings.js';
export { RECORDING_RANK, publicRecording } from './repositories/recordings.js';
export type { AddressedEventRow, EventRow } from './repositories/events.js';

export class Store {
  readonly consults: ConsultRepository;
  readonly connections: ConnectionRepository;
  readonly lobby: LobbyRepository;
  readonly consents: ConsentRepository;
  readonly recordings: RecordingRepository;
  readonly chat: MessageRepository;
  readonly auditTrail: AuditRepository;
  readonly events: EventRepository;

  constructor(readonly db: Db) {
    this.consults = new ConsultRepository(db);
    this.connections = new ConnectionRepository(db);
    this.lobby = new LobbyRepository(db);
    this.consents = new ConsentRepository(db);
    this.recordings = new RecordingRepository(db);
    this.chat = new MessageRepository(db);
    this.auditTrail = new AuditRepository(db);
    this.events = new EventRepository(db);
  }

  // consults
  readonly ensureConsult: ConsultRepository['ensureConsult'] = (...a) =>
    this.consults.ensureConsult(...a);
  readonly getConsult: ConsultRepository['getConsult'] = (...a) => this.consults.getConsult(...a);
  readonly endConsult: ConsultRepository['endConsult'] = (...a) => this.consults.endConsult(...a);
  readonly setConsentRequested: ConsultRepository['setConsentRequested'] = (...a) =>
    this.consults.setConsentRequested(...a);

  // connections
  readonly upsertParticipant: ConnectionRepository['upsertParticipant'] = (...a) =>
    this.connections.upsertParticipant(...a);
  readonly isParticipant: ConnectionRepository['isParticipant'] = (...a) =>
    this.connections.isParticipant(...a);
  readonly insertConnection: ConnectionRepository['insertConnection'] = (...a) =>
    this.connections.insertConnection(...a);
  readonly getConnection: ConnectionRepository['getConnection'] = (...a) =>
    this.connections.getConnection(...a);
  readonly markConnection: ConnectionRepository['markConnection'] = (...a) =>
    this.connections.markConnection(...a);
  readonly hasJoinedSince: ConnectionRepository['hasJoinedSince'] = (...a) =>
    this.connections.hasJoinedSince(...a);

  // lobby
  readonly lobbyStatus: LobbyRepository['lobbyStatus'] = (...a) => this.lobby.lobbyStatus(...a);
  readonly enterLobby: LobbyRepository['enterLobby'] = (...a) => this.lobby.enterLobby(...a);
  readonly decideLobby: LobbyRepository['decideLobby'] = (...a) => this.lobby.decideLobby(...a);
  readonly undoAdmission: LobbyRepository['undoAdmission'] = (...a) =>
    this.lobby.undoAdmission(...a);
  readonly waiting: LobbyRepository['waiting'] = (...a) => this.lobby.waiting(...a);

  // consents
  readonly consentEntries: ConsentRepository['consentEntries'] = (...a) =>
    this.consents.consentEntries(...a);
  readonly setConsent: ConsentRepository['setConsent'] = (...a) => this.consents.setConsent(...a);
  readonly addConsentEntries: ConsentRepository['addConsentEntries'] = (...a) =>
    this.consents.addConsentEntries(...a);

  // recordings
  readonly upsertRecording: RecordingRepository['upsertRecording'] = (...a) =>
    this.recordings.upsertRecording(...a);
  readonly getRecording: RecordingRepository['getRecording'] = (...a) =>
    this.recordings.getRecording(...a);
  readonly listRecordings: RecordingRepository['listRecordings'] = (...a) =>
    this.recordings.listRecordings(...a);
  readonly activeRecording: RecordingRepository['activeRecording'] = (...a) =>
    this.recordings.activeRecording(...a);

  // chat
  readonly insertMessage: MessageRepository['insertMessage'] = (...a) =>
    this.chat.insertMessage(...a);
  readonly messages: MessageRepository['messages'] = (...a) => this.chat.messages(...a);

  // audit
  readonly audit: AuditRepository['audit'] = (...a) => this.auditTrail.audit(...a);
  readonly auditEntries: AuditRepository['auditEntries'] = (...a) =>
    this.auditTrail.auditEntries(...a);

  // events
  readonly insertEvent: EventRepository['insertEvent'] = (...a) => this.events.insertEvent(...a);
  readonly eventsAfter: EventRepository['eventsAfter'] = (...a) => this.events.eventsAfter(...a);
  readonly allEventsAfter: EventRepository['allEventsAfter'] = (...a) =>
    this.events.allEventsAfter(...a);
  readonly lastEventFor: EventRepository['lastEventFor'] = (...a) => this.events.lastEventFor(...a);
  readonly maxEventId: EventRepository['maxEventId'] = (...a) => this.events.maxEventId(...a);
}
