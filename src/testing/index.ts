/**
 * `consult-kit/testing` — development only. Fakes to drive the SDK and the elements with no token
 * server, media server or devices: {@link FakeSession} for element tests and stories,
 * {@link FakeBackend} for SDK tests, a fake platform (manual clock, fake media devices, fake fetch)
 * and an event recorder. Importing it touches no `window` or `document`.
 * @packageDocumentation
 */

/** A ConsultSessionLike for element tests and stories. @public */
export { FakeSession, createSessionState, createParticipant } from './fake-session.js';
/** Types of {@link FakeSession}. @public */
export type {
  FakeSessionOptions,
  FakeSessionCall,
  CreateFakeStream,
  FakeStreamPurpose,
} from './fake-session.js';
/** A scriptable MediaBackend. @public */
export { FakeBackend, fakeBackendFactory } from './fake-backend.js';
/** Types of {@link FakeBackend}. @public */
export type { BackendCall, FakeRemoteParticipant } from './fake-backend.js';
/** Event recording for assertions (`waitFor`, `none`) and state waiting. @public */
export { recordEvents, waitForState, SESSION_EVENT_NAMES } from './event-recorder.js';
/** Types of the event recorder. @public */
export type { EventRecorder, RecordedEvent, EventSource } from './event-recorder.js';
/** A clock tests advance by hand. @public */
export { FakeClock, flushMicrotasks } from './fake-clock.js';
/** Fake tracks, streams and media devices. @public */
export {
  FakeMediaDevices,
  FakeMediaStream,
  FakeMediaStreamTrack,
  createFakeMediaStream,
  fakeDomException,
  DEFAULT_FAKE_DEVICES,
} from './fake-media.js';
/** A fake device description. @public */
export type { FakeDevice } from './fake-media.js';
/** A fake token server behind `fetch`, with a controllable event stream. @public */
export {
  FakeServer,
  FakeEventStream,
  jsonResponse,
  errorResponse,
  deferred,
} from './fake-fetch.js';
/** Types of the fake server. @public */
export type { FakeRequest, FakeHandler, Deferred } from './fake-fetch.js';
/** A complete fake Platform. @public */
export { createFakePlatform } from './fake-platform.js';
/** Types of the fake platform. @public */
export type { FakePlatform, FakePlatformOptions } from './fake-platform.js';
/** A scripted pre-call test and a client handing it out (`<consult-precheck>`'s `.client`). @public */
export {
  FakePrecheck,
  FakePrecheckClient,
  PRECHECK_OUTCOMES,
  fakePrecheckResult,
} from './fake-precheck.js';
/** Types of {@link FakePrecheck}. @public */
export type {
  FakePrecheckOptions,
  FakePrecheckOutcome,
  PrecheckOutcomeName,
} from './fake-precheck.js';
/** A scriptable queue client for `<consult-queue>` tests and stories. @public */
export { FakeQueue } from './fake-queue.js';
/** Types of {@link FakeQueue}. @public */
export type { FakeQueueCall } from './fake-queue.js';
