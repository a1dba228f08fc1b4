/**
 * Type tests of the elements' DOM events on `GlobalEventHandlersEventMap`
 * (docs/contributing.md#state-and-events). Type-checked by `npm run typecheck` (tsconfig.json
 * includes it), never run: `tsc` must accept the correct listeners and reject each line marked
 * `@ts-expect-error`. An unused `@ts-expect-error` is itself an error, so an event that falls back
 * to plain `Event` (a missing map entry) fails the typecheck.
 */
import type {
  ConsultError,
  Participant,
  PrecheckResult,
  QueueEntry,
  RecordingState,
} from '../../src/index.js';
import type { ConsultChat } from '../consult-chat/consult-chat.component.js';
import type { ConsultRoom } from '../consult-room/consult-room.component.js';
import type {
  ConsultChartingChangeEvent,
  ConsultChartingMode,
  ConsultConnectionChangeEvent,
  ConsultDeviceCheckEventDetail,
  ConsultJoinEvent,
  ConsultLeaveEvent,
  ConsultLeaveEventDetail,
  ConsultPrecheckResultEvent,
  ConsultQueueOpenEvent,
  ConsultQueueWaitingEvent,
  ConsultRequestLeaveEvent,
} from './index.js';

/** True when A and B are the same type (`any` is equal only to `any`). */
type Equal<A, B> =
  (<_T>() => _T extends A ? 1 : 2) extends <_T>() => _T extends B ? 1 : 2 ? true : false;
/** Compiles only when the argument's type is exactly `Expected`. */
declare function expectType<Expected>(): <Actual>(
  value: Actual,
  ..._mismatch: Equal<Actual, Expected> extends true ? [] : ['types differ']
) => void;

declare const el: HTMLElement;
declare const room: ConsultRoom;
declare const chat: ConsultChat;

// ── correct listeners compile, with exact event and detail types ──
el.addEventListener('consult-leave', (e) => {
  expectType<ConsultLeaveEvent>()(e);
  expectType<ConsultLeaveEventDetail>()(e.detail);
  const seconds: number | undefined = e.detail.duration;
  void seconds;
});
room.addEventListener('consult-join', (e) => {
  expectType<ConsultJoinEvent>()(e);
  const consultId: string = e.detail.consultId;
  const participant: Participant | undefined = e.detail.participant;
  void consultId;
  void participant;
});
room.addEventListener('consult-connection-change', (e) => {
  expectType<ConsultConnectionChangeEvent>()(e);
});
room.addEventListener('consult-participant-join', (e) => {
  expectType<Participant>()(e.detail.participant);
});
room.addEventListener('consult-participant-leave', (e) => {
  const reason: string = e.detail.reason;
  void reason;
});
room.addEventListener('consult-recording-change', (e) => {
  expectType<RecordingState>()(e.detail.recording);
});
room.addEventListener('consult-device-check', (e) => {
  expectType<ConsultDeviceCheckEventDetail>()(e.detail);
});
room.addEventListener('consult-error', (e) => {
  expectType<ConsultError>()(e.detail.error);
});
room.addEventListener('consult-request-leave', (e) => {
  expectType<ConsultRequestLeaveEvent>()(e);
  e.preventDefault();
});
chat.addEventListener('consult-unread-change', (e) => {
  expectType<number>()(e.detail.unread);
});
room.addEventListener('consult-charting-change', (e) => {
  expectType<ConsultChartingChangeEvent>()(e);
  expectType<boolean>()(e.detail.open);
  expectType<ConsultChartingMode>()(e.detail.mode);
});
el.addEventListener('consult-precheck-result', (e) => {
  expectType<ConsultPrecheckResultEvent>()(e);
  expectType<PrecheckResult>()(e.detail.result);
});
el.addEventListener('consult-queue-open', (e) => {
  expectType<ConsultQueueOpenEvent>()(e);
  expectType<string>()(e.detail.consultId);
  expectType<QueueEntry>()(e.detail.entry);
});
el.addEventListener('consult-queue-waiting', (e) => {
  expectType<ConsultQueueWaitingEvent>()(e);
  expectType<QueueEntry>()(e.detail.entry);
});
// The map is global, so document and window listeners are typed as well (events are composed).
document.addEventListener('consult-leave', (e) => {
  expectType<ConsultLeaveEventDetail>()(e.detail);
});
window.addEventListener('consult-error', (e) => {
  expectType<ConsultError>()(e.detail.error);
});

// ── wrong detail types are rejected ──
el.addEventListener('consult-leave', (e) => {
  // @ts-expect-error duration is a number (seconds) or undefined, not a string
  const wrong: string = e.detail.duration;
  void wrong;
});
el.addEventListener('consult-leave', (e) => {
  // @ts-expect-error consult-leave has no `participant` in its detail
  void e.detail.participant;
});
// @ts-expect-error the listener's detail type does not match consult-leave's
el.addEventListener('consult-leave', (e: CustomEvent<{ duration: string }>) => void e);
// @ts-expect-error a consult-join listener is not a consult-leave listener
el.addEventListener('consult-leave', (e: ConsultJoinEvent) => void e);
chat.addEventListener('consult-unread-change', (e) => {
  // @ts-expect-error unread is a number
  const wrong: string = e.detail.unread;
  void wrong;
});
room.addEventListener('consult-charting-change', (e) => {
  // @ts-expect-error mode is 'document' or 'video'
  const wrong: 'pip' = e.detail.mode;
  void wrong;
});
