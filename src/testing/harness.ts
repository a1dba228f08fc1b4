/**
 * Test harness for the SDK's own Node tests (not exported): a client on a fake platform, a
 * FakeBackend and a fake token server with an event stream.
 * @internal
 * @packageDocumentation
 */
import { createConsultClient, type ConsultClientOptions } from '../client.js';
import type { TokenResponse } from '../contract.js';
import { FakeBackend, fakeBackendFactory } from './fake-backend.js';
import { errorResponse, FakeEventStream, jsonResponse } from './fake-fetch.js';
import { createFakePlatform, type FakePlatformOptions } from './fake-platform.js';

/** API base of the harness's fake token server. */
export const API = 'https://portal.test/api';
export const CONSULT = 'c1';
export const PATHS = {
  token: `/api/consults/${CONSULT}/token`,
  events: `/api/consults/${CONSULT}/events`,
  messages: `/api/consults/${CONSULT}/messages`,
  recordings: `/api/consults/${CONSULT}/recordings`,
  consent: `/api/consults/${CONSULT}/recording-consent`,
} as const;

/**
 * `@microsoft/fetch-event-source` touches `document`/`window` when an attempt ends (even with
 * `openWhenHidden`); Node has neither, so tests give it inert stand-ins.
 */
export function installEventSourceGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  g.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };
  g.window ??= globalThis;
}

export function tokenFor(overrides: Partial<TokenResponse> = {}): TokenResponse {
  return {
    token: 'wss://media.test?sessionId=c1&token=tok_1',
    consultId: CONSULT,
    connectionId: 'con_local',
    role: 'patient',
    expiresAt: '2030-01-01T00:00:00Z',
    userId: 'u-local',
    displayName: 'Pat',
    ...overrides,
  };
}

export function createHarness(
  options: {
    token?: Partial<TokenResponse>;
    platform?: FakePlatformOptions;
    client?: Partial<ConsultClientOptions>;
  } = {},
) {
  installEventSourceGlobals();
  const fake = createFakePlatform(options.platform);
  const backend = new FakeBackend({ connectionId: options.token?.connectionId ?? 'con_local' });
  const streams: FakeEventStream[] = [];
  fake.server.on('POST', PATHS.token, () => jsonResponse(tokenFor(options.token)));
  fake.server.on('GET', PATHS.events, (request) => {
    const stream = new FakeEventStream(200, request.signal);
    streams.push(stream);
    return stream.response;
  });
  fake.server.on('GET', PATHS.messages, () => errorResponse(404, 'not-found'));
  const client = createConsultClient({
    tokenUrl: API,
    platform: fake.platform,
    backend: fakeBackendFactory(backend),
    auth: 'portal-token',
    retry: { random: () => 0.5 },
    ...options.client,
  });
  return {
    ...fake,
    backend,
    client,
    streams,
    /** The event stream opened most recently (waits for it to open). */
    async stream(index?: number): Promise<FakeEventStream> {
      for (let i = 0; i < 100; i++) {
        const s = index === undefined ? streams[streams.length - 1] : streams[index];
        if (s) return s;
        await new Promise((r) => globalThis.setTimeout(r, 0));
      }
      throw new Error('No event stream was opened');
    },
  };
}
