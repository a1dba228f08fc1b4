/**
 * The SDK→DOM event bridge of `<consult-room>`: which SDK events become which DOM events and
 * announcements.
 * @packageDocumentation
 */
import type { SessionController } from './session-controller.js';
import type { ConsultStringKey } from '../i18n/en.js';
import { ConsultConnectionChangeEvent } from '../events/consult-connection-change.js';
import { ConsultErrorEvent } from '../events/consult-error.js';
import { ConsultJoinEvent } from '../events/consult-join.js';
import { ConsultLeaveEvent } from '../events/consult-leave.js';
import { ConsultParticipantJoinEvent } from '../events/consult-participant-join.js';
import { ConsultParticipantLeaveEvent } from '../events/consult-participant-leave.js';
import { ConsultRecordingChangeEvent } from '../events/consult-recording-change.js';
import type { SessionState } from '../../src/index.js';

const FINAL = new Set(['disconnected', 'failed']);

/** What the bridge needs from its element. @internal */
export interface SessionEventBridgeHost {
  consultId(): string;
  /** True once the user joined the current session's call. */
  hasJoined(): boolean;
  /** Records that the user joined the current session's call. */
  markJoined(): void;
  /** The call ended for the user at `endedAt` (epoch ms). */
  markEnded(endedAt: number): void;
  /** True when the chat panel is open (no message announcements then). */
  isChatVisible(): boolean;
  announce(text: string): void;
  t(key: ConsultStringKey, values?: Record<string, string | number>): string;
  dispatchEvent(event: Event): boolean;
}

/**
 * Translates a chosen subset of the session's events into the room's DOM events and live-region
 * announcements; never everything (see "Events" in docs/contributing.md).
 * @internal
 */
export function bridgeSessionEvents(
  controller: SessionController<unknown>,
  host: SessionEventBridgeHost,
): void {
  const state = (): SessionState | undefined => controller.state;
  controller.on('connectionChanged', ({ connection, previous, reason }) => {
    host.dispatchEvent(new ConsultConnectionChangeEvent({ connection, previous, reason }));
    const s = state();
    if (connection === 'connected' && !host.hasJoined()) {
      host.markJoined();
      host.announce(host.t('announce.joined'));
      host.dispatchEvent(
        new ConsultJoinEvent({
          consultId: s?.consultId ?? host.consultId(),
          participant: s?.participants.find((p) => p.isLocal),
          role: s?.role,
        }),
      );
    } else if (connection === 'connected' && previous === 'reconnecting') {
      host.announce(host.t('announce.reconnected'));
    } else if (connection === 'reconnecting') {
      host.announce(host.t('announce.reconnecting'));
    } else if (FINAL.has(connection)) {
      const endedAt = s?.endedAt ?? Date.now();
      const joined = host.hasJoined();
      host.markEnded(endedAt);
      if (!joined) return;
      host.announce(host.t(reason === 'left' ? 'announce.left' : 'ended.title'));
      const started = s?.callStartedAt;
      host.dispatchEvent(
        new ConsultLeaveEvent({
          connection,
          reason,
          duration: started !== undefined ? Math.round((endedAt - started) / 1000) : undefined,
        }),
      );
    }
  });
  controller.on('participantJoined', ({ participant }) => {
    if (participant.isLocal) return;
    host.announce(host.t('announce.participantJoined', { name: participant.displayName }));
    host.dispatchEvent(new ConsultParticipantJoinEvent({ participant }));
  });
  controller.on('participantLeft', ({ participant, reason }) => {
    if (participant.isLocal) return;
    host.announce(host.t('announce.participantLeft', { name: participant.displayName }));
    host.dispatchEvent(new ConsultParticipantLeaveEvent({ participant, reason }));
  });
  controller.onState((next, previous) => announceStateChanges(host, next, previous));
  controller.on('recordingChanged', ({ recording }) => {
    host.dispatchEvent(new ConsultRecordingChangeEvent({ recording }));
  });
  controller.on('messageReceived', ({ message }) => {
    if (message.isLocal || message.fromHistory || host.isChatVisible()) return;
    host.announce(host.t('announce.message', { name: message.senderName }));
  });
  controller.on('error', ({ error }) => {
    host.dispatchEvent(new ConsultErrorEvent({ error }));
  });
}

/** Recording start/stop and new people in the waiting room (providers), from two snapshots. */
function announceStateChanges(
  host: SessionEventBridgeHost,
  next: SessionState,
  previous: SessionState,
): void {
  const was = previous.recording.status;
  const is = next.recording.status;
  if (is === 'recording' && was !== 'recording') host.announce(host.t('announce.recordingStarted'));
  if (was === 'recording' && is !== 'recording') host.announce(host.t('announce.recordingStopped'));
  if (next.role !== 'provider') return;
  const known = new Set(previous.lobby.map((e) => e.userId));
  for (const entry of next.lobby) {
    if (!known.has(entry.userId))
      host.announce(host.t('announce.waiting', { name: entry.displayName }));
  }
}
