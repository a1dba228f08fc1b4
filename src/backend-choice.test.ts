import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTokenResponse } from './api.js';
import type { MediaServerInfo } from './backend.js';
import { ConsultError } from './errors.js';
import type { TokenResponse } from './contract.js';
import type { ConsultSession } from './session.js';
import type { Participant } from './types.js';
import { jsonResponse } from './testing/fake-fetch.js';
import { createHarness, PATHS, tokenFor } from './testing/harness.js';

/** A harness whose backend factory records what the session asked for. */
function recordingHarness(options: { token?: Partial<TokenResponse> }) {
  const asked: MediaServerInfo[] = [];
  const h: ReturnType<typeof createHarness> = createHarness({
    ...options,
    client: {
      backend: (server) => {
        asked.push(server);
        return Promise.resolve(h.backend);
      },
    },
  });
  return { h, asked };
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), 'timed out');
}

async function waitForLocal(
  session: ConsultSession,
  ready: (p: Participant) => boolean,
): Promise<Participant | undefined> {
  for (let i = 0; i < 500; i++) {
    const local = session.state.participants.find((p) => p.isLocal);
    if (local && ready(local)) return local;
    await new Promise((r) => setTimeout(r, 10));
  }
  return session.state.participants.find((p) => p.isLocal);
}

describe('backend choice by the token server’s answer', () => {
  it('should ask for the OpenVidu backend when the answer names none', async () => {
    const { h, asked } = recordingHarness({});
    const session = await h.client.join('c1');
    assert.deepEqual(asked, [{ backend: 'openvidu' }]);
    await session.leave();
  });

  it('should preload the likely backend while the token is requested', async () => {
    const steps: string[] = [];
    const h: ReturnType<typeof createHarness> = createHarness({
      client: {
        backend: Object.assign(
          (server: MediaServerInfo) => {
            steps.push(`create ${server.backend}`);
            return Promise.resolve(h.backend);
          },
          { preload: () => steps.push('preload') },
        ),
      },
    });
    const session = await h.client.join('c1');
    assert.deepEqual(steps, ['preload', 'create openvidu']);
    await session.leave();
  });

  it('should ask for the LiveKit backend with the server URL the answer gives', async () => {
    const { h, asked } = recordingHarness({
      token: { token: 'eyJ.jwt.sig', backend: 'livekit', serverUrl: 'wss://lk.example' },
    });
    const session = await h.client.join('c1');
    assert.deepEqual(asked, [{ backend: 'livekit', url: 'wss://lk.example' }]);
    assert.equal(session.state.connection, 'connected');
    await session.leave();
  });

  it('should refuse a LiveKit answer without its server URL, and an unknown backend', async () => {
    assert.throws(
      () => parseTokenResponse('c1', { ...tokenFor(), backend: 'livekit' }),
      (e: unknown) => e instanceof ConsultError && e.code === 'invalid-response',
    );
    assert.throws(
      () => parseTokenResponse('c1', { ...tokenFor(), backend: 'janus' }),
      (e: unknown) => e instanceof ConsultError && e.code === 'invalid-response',
    );
    const parsed = parseTokenResponse('c1', {
      ...tokenFor(),
      backend: 'livekit',
      serverUrl: 'wss://lk.example',
    });
    assert.equal(parsed.backend, 'livekit');
    assert.equal(parsed.serverUrl, 'wss://lk.example');
    assert.equal(parseTokenResponse('c1', tokenFor()).backend, undefined, 'unchanged for OpenVidu');
  });

  it('should fail the join with invalid-response when a LiveKit answer lacks its URL', async () => {
    const { h, asked } = recordingHarness({ token: { backend: 'livekit' } });
    await assert.rejects(
      h.client.join('c1'),
      (e: unknown) => e instanceof ConsultError && e.code === 'invalid-response',
    );
    assert.deepEqual(asked, [], 'no backend was loaded');
  });

  it('should show the media server’s own quality grade over the classifier’s', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    let reads = 0;
    const getStats = h.backend.getStats.bind(h.backend);
    h.backend.getStats = async (id) => {
      reads++;
      return getStats(id);
    };
    // Figures the classifier grades good (no loss, short round trip), but the server says poor.
    for (let t = 1; t <= 3; t++) {
      h.backend.simulateStats('con_local', {
        roundTripMs: 20,
        packetsLost: 0,
        packetsReceived: t * 100,
        packetsSent: t * 100,
        bytes: t * 100_000,
        timestamp: t * 2000,
        level: 'poor',
      });
      const before = reads;
      await h.clock.advance(2000);
      // The first sample loads quality.js with a dynamic import: wait (up to 10 s) for the read.
      for (let i = 0; i < 1000 && reads === before; i++)
        await new Promise((r) => setTimeout(r, 10));
    }
    const local = await waitForLocal(session, (p) => p.quality.level !== 'unknown');
    assert.equal(local?.quality.level, 'poor');
    assert.equal(local?.quality.roundTripMs, 20, 'the figures still come from the stats');
    await session.leave();
  });

  it('should relay each sent chat message to the history on LiveKit only', async () => {
    for (const backend of ['livekit', undefined] as const) {
      const { h } = recordingHarness({
        token: backend ? { backend, serverUrl: 'wss://lk.example' } : {},
      });
      h.server.on('POST', PATHS.messages, () => jsonResponse({}));
      const session = await h.client.join('c1');
      const sent = await session.sendMessage('hello');
      const relayed = h.server.requestsTo(PATHS.messages, 'POST');
      if (backend) {
        await waitUntil(() => h.server.requestsTo(PATHS.messages, 'POST').length === 1);
        const [request] = h.server.requestsTo(PATHS.messages, 'POST');
        const body = request?.body as { connectionId: string; message: Record<string, unknown> };
        assert.equal(body.connectionId, 'con_local');
        assert.deepEqual(
          [body.message['v'], body.message['id'], body.message['text']],
          [1, sent.id, 'hello'],
        );
        assert.equal(typeof body.message['sentAt'], 'string');
      } else assert.equal(relayed.length, 0, 'OpenVidu: the webhook feeds the history');
      await session.leave();
    }
  });
});
