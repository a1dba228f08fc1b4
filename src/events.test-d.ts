/**
 * Type tests of `SessionEventMap` (docs/contributing.md#state-and-events). Type-checked by
 * `npm run typecheck` (tsconfig.json includes it), never run: `tsc` must accept the correct
 * listeners and reject each line marked `@ts-expect-error`. An unused `@ts-expect-error` is itself
 * an error, so a map that loosens to `any` fails the typecheck.
 */
import type { ConsultSession } from './session.js';
import type {
  ChatMessage,
  ConnectionState,
  ConsultSessionLike,
  Participant,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from './types.js';
import type { ConsultError } from './errors.js';

/** True when A and B are the same type (`any` is equal only to `any`). */
type Equal<A, B> =
  (<_T>() => _T extends A ? 1 : 2) extends <_T>() => _T extends B ? 1 : 2 ? true : false;
declare function expectTrue<_T extends true>(): void;
/** Compiles only when the argument's type is exactly `Expected`. */
declare function expectType<Expected>(): <Actual>(
  value: Actual,
  ..._mismatch: Equal<Actual, Expected> extends true ? [] : ['types differ']
) => void;

declare const session: ConsultSessionLike;
declare const real: ConsultSession;

// ── correct listeners compile, with exact detail types ──
const off: Unsubscribe = session.on('messageReceived', ({ message }) => {
  expectType<ChatMessage>()(message);
  const text: string = message.text;
  void text;
});
off();

session.on('participantJoined', ({ participant }) => {
  expectType<Participant>()(participant);
});
session.on('participantLeft', (detail) => {
  expectType<{ participant: Participant; reason: string }>()(detail);
});
session.on('connectionChanged', ({ connection, previous }) => {
  const both: readonly ConnectionState[] = [connection, previous];
  void both;
});
session.on('stateChanged', ({ state, previous }) => {
  expectType<SessionState>()(state);
  expectType<SessionState>()(previous);
});
session.on('unreadChanged', ({ unread }) => {
  expectType<number>()(unread);
});
session.on('error', ({ error }) => {
  expectType<ConsultError>()(error);
});
// The concrete class has the same map.
real.on('messageReceived', ({ message }) => {
  expectType<ChatMessage>()(message);
});
// A listener may ignore the detail.
session.on('lobbyChanged', () => undefined);
// The detail type of each key is the map's entry.
expectTrue<Equal<SessionEventMap['unreadChanged'], { unread: number }>>();

expectTrue<Equal<SessionEventMap['muteRequested'], { from: Participant }>>();

// ── wrong detail types are rejected ──
// @ts-expect-error message is a ChatMessage, not a string
session.on('messageReceived', (detail: { message: string }) => void detail);
// @ts-expect-error participantJoined carries `participant`, not `message`
session.on('participantJoined', ({ message }) => void message);
session.on('unreadChanged', ({ unread }) => {
  // @ts-expect-error unread is a number
  const wrong: string = unread;
  void wrong;
});
// @ts-expect-error the class rejects the same wrong listener
real.on('error', (detail: { error: string }) => void detail);
// @ts-expect-error unknown event names are rejected (events are camelCase keys)
session.on('message-received', () => undefined);
