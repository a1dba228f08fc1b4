/**
 * The token server with `MEDIA_BACKEND=livekit`: real `livekit-server-sdk` parts (TokenVerifier
 * checks the minted tokens; webhooks are signed as LiveKit signs them and verified by the server's
 * WebhookReceiver) and a small fake Twirp server on loopback standing in for LiveKit's room and
 * egress services (it records the requests: a contract and failure-injection double, not LiveKit).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AccessToken, TokenVerifier } from 'livekit-server-sdk';
import type { TokenResponse } from '../../src/contract.js';
import { resolveOptions } from './options.js';
import {
  auditEntriesOf,
  doctor,
  patient,
  startStack,
  waitFor,
  type Stack,
} from './test-support.js';

const API_KEY = 'lk-test-key';
const API_SECRET = 'lk-test-secret-0123456789abcdef0123';

interface TwirpCall {
  service: string;
  method: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

/** A fake LiveKit Twirp API: answers per `Service/Method`, records every request. */
class FakeTwirp {
  readonly calls: TwirpCall[] = [];
  readonly answers = new Map<string, (body: Record<string, unknown>) => [number, unknown]>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const m = /^\/twirp\/livekit\.(\w+)\/(\w+)$/.exec(req.url ?? '');
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        if (!m) {
          res.writeHead(404).end();
          return;
        }
        const [, service = '', method = ''] = m;
        this.calls.push({ service, method, body, authorization: req.headers.authorization });
        const answer = this.answers.get(`${service}/${method}`);
        const [status, json] = answer ? answer(body) : [200, {}];
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `ws://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  of(method: string): TwirpCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async close(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

const notFound: [number, unknown] = [404, { code: 'not_found', msg: 'not found' }];

/** A webhook signed as LiveKit signs it: a JWT (API secret) whose `sha256` is the body's hash. */
async function signedWebhook(body: string, secret = API_SECRET): Promise<string> {
  const at = new AccessToken(API_KEY, secret);
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return at.toJwt();
}

describe('token server with MEDIA_BACKEND=livekit', () => {
  const twirp = new FakeTwirp();
  let stack: Stack;

  before(async () => {
    await twirp.start();
    twirp.answers.set('RoomService/GetParticipant', () => notFound);
    stack = await startStack({
      noMediaServer: true,
      waitingRoom: false,
      requireConsent: false,
      mediaBackend: 'livekit',
      livekit: { url: twirp.url, apiKey: API_KEY, apiSecret: API_SECRET },
    });
  });
  after(async () => {
    await stack?.close();
    await twirp.close();
  });

  const tokenFor = async (bearer: string, consultId: string): Promise<TokenResponse> => {
    const r = await stack.call('POST', `/api/consults/${consultId}/token`, {
      token: bearer,
      body: {},
    });
    assert.equal(r.status, 200, r.text);
    return r.json as TokenResponse;
  };

  const webhook = async (event: Record<string, unknown>, secret?: string) => {
    const body = JSON.stringify({ id: `EV_${Math.random()}`, createdAt: '1700000000', ...event });
    return stack.call('POST', '/api/livekit/webhook', {
      body,
      headers: { Authorization: await signedWebhook(body, secret) },
    });
  };

  it('should mint LiveKit tokens with per-role grants, creating the room first', async () => {
    const dr = await tokenFor(await doctor(), 'lk-grants');
    const pat = await tokenFor(await patient(1), 'lk-grants');
    assert.equal(dr.backend, 'livekit');
    assert.equal(dr.serverUrl, twirp.url);
    assert.match(dr.connectionId, /^con_/);
    assert.notEqual(dr.connectionId, pat.connectionId);
    assert.deepEqual(twirp.of('CreateRoom')[0]?.body['name'], 'lk-grants');
    assert.ok(twirp.of('CreateRoom')[0]?.authorization?.startsWith('Bearer '));

    const verifier = new TokenVerifier(API_KEY, API_SECRET);
    const drClaims = await verifier.verify(dr.token);
    assert.equal(drClaims.sub, dr.connectionId);
    assert.equal(drClaims.video?.room, 'lk-grants');
    assert.equal(drClaims.video?.roomJoin, true);
    assert.equal(drClaims.video?.roomAdmin, true);
    assert.equal(drClaims.video?.canPublish, true);
    assert.equal(drClaims.video?.canSubscribe, true);
    assert.equal(drClaims.video?.canPublishData, true);
    assert.equal(drClaims.video?.canUpdateOwnMetadata, false);
    assert.deepEqual(JSON.parse(drClaims.metadata ?? ''), {
      userId: 'dr-1',
      displayName: 'Dr. One',
      role: 'provider',
    });
    const patClaims = await verifier.verify(pat.token);
    assert.equal(patClaims.video?.roomAdmin, false);
    assert.equal(patClaims.video?.canPublish, true);
    assert.equal(JSON.parse(patClaims.metadata ?? '').role, 'patient');
    // Short-lived: the JWT expires with the token (default TTL one hour).
    const ttl = (patClaims.exp ?? 0) - Math.floor(Date.now() / 1000);
    assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
    await assert.rejects(
      new TokenVerifier(API_KEY, 'another-secret-0123456789abcdef').verify(pat.token),
    );
    assert.ok(
      stack.logs.lines.every((l) => !l.includes(API_SECRET) && !l.includes(dr.token)),
      'neither the API secret nor a token is logged',
    );
  });

  it('should audit joins and leaves from signed webhooks and refuse unsigned ones', async () => {
    const bearer = await doctor();
    const t = await tokenFor(bearer, 'lk-hooks');
    const room = { name: 'lk-hooks', sid: 'RM_1' };
    const joined = await webhook({
      event: 'participant_joined',
      room,
      participant: { identity: t.connectionId, sid: 'PA_1' },
    });
    assert.equal(joined.status, 200, joined.text);
    const left = await webhook({
      event: 'participant_left',
      room,
      participant: { identity: t.connectionId, sid: 'PA_1', disconnectReason: 'CLIENT_INITIATED' },
    });
    assert.equal(left.status, 200, left.text);
    const entries = await auditEntriesOf(stack, 'lk-hooks', bearer);
    const actions = entries.map((e) => e.action);
    assert.ok(actions.includes('participant.joined'), actions.join());
    const leftEntry = entries.find((e) => e.action === 'participant.left');
    assert.equal(leftEntry?.details?.['connectionId'], t.connectionId);
    assert.equal(leftEntry?.details?.['reason'], 'disconnect');

    // Signed with another secret, tampered with, or unsigned: 401, nothing recorded.
    const forged = await webhook(
      { event: 'participant_joined', room, participant: { identity: t.connectionId } },
      'not-the-secret-0123456789abcdef0123',
    );
    assert.equal(forged.status, 401);
    const body = JSON.stringify({ event: 'participant_joined', room });
    const tampered = await stack.call('POST', '/api/livekit/webhook', {
      body: body.replace('lk-hooks', 'lk-other'),
      headers: { Authorization: await signedWebhook(body) },
    });
    assert.equal(tampered.status, 401);
    const unsigned = await stack.call('POST', '/api/livekit/webhook', { body });
    assert.equal(unsigned.status, 401);
    assert.deepEqual((unsigned.json as { error: { code: string } }).error.code, 'unauthorized');
  });

  it('should remove a removed user at once when they join with their unused token', async () => {
    const bearer = await doctor();
    await tokenFor(bearer, 'lk-removed');
    const pat = await tokenFor(await patient(2), 'lk-removed');
    const r = await stack.call('POST', '/api/consults/lk-removed/participants/pat-2/remove', {
      token: bearer,
    });
    assert.ok(r.status === 200 || r.status === 204, r.text);
    const before = twirp.of('RemoveParticipant').length;
    const joined = await webhook({
      event: 'participant_joined',
      room: { name: 'lk-removed' },
      participant: { identity: pat.connectionId },
    });
    assert.equal(joined.status, 200);
    const removals = twirp.of('RemoveParticipant').slice(before);
    assert.deepEqual(
      removals.map((c) => [c.body['room'], c.body['identity']]),
      [['lk-removed', pat.connectionId]],
    );
  });

  it('should end a consultation by deleting the room', async () => {
    const bearer = await doctor();
    await tokenFor(bearer, 'lk-end');
    const r = await stack.call('POST', '/api/consults/lk-end/end', { token: bearer });
    assert.ok(r.status === 200 || r.status === 204, r.text);
    assert.deepEqual(
      twirp.of('DeleteRoom').map((c) => c.body['room']),
      ['lk-end'],
    );
  });

  it('should record through a room composite egress to MP4 and follow its webhooks', async () => {
    const bearer = await doctor();
    await tokenFor(bearer, 'lk-rec');
    const info = (status: string, extra: Record<string, unknown> = {}) => ({
      egressId: 'EG_rec1',
      roomName: 'lk-rec',
      status,
      startedAt: '1700000000000000000',
      ...extra,
    });
    twirp.answers.set('Egress/StartRoomCompositeEgress', () => [200, info('EGRESS_STARTING')]);
    twirp.answers.set('Egress/ListEgress', () => [200, { items: [info('EGRESS_ACTIVE')] }]);
    const started = await stack.call('POST', '/api/consults/lk-rec/recordings', { token: bearer });
    assert.equal(started.status, 201, started.text);
    assert.equal((started.json as { recordingId: string }).recordingId, 'EG_rec1');
    const request = twirp.of('StartRoomCompositeEgress')[0]?.body;
    assert.equal(request?.['roomName'], 'lk-rec');
    const [file] = (request?.['fileOutputs'] ?? []) as Record<string, unknown>[];
    assert.equal(file?.['fileType'], 'MP4');
    assert.match(String(file['filepath']), /^lk-rec\/lk-rec-\{time\}\.mp4$/);

    const ended = await webhook({
      event: 'egress_ended',
      egressInfo: info('EGRESS_COMPLETE', {
        fileResults: [{ filename: 'lk-rec/lk-rec-1.mp4', size: '12345', duration: '4000000000' }],
      }),
    });
    assert.equal(ended.status, 200, ended.text);
    await waitFor('the recording to be ready', async () => {
      const r = await stack.call('GET', '/api/consults/lk-rec/recordings/EG_rec1', {
        token: bearer,
      });
      return (r.json as { status?: string }).status === 'ready';
    });
    const rec = await stack.call('GET', '/api/consults/lk-rec/recordings/EG_rec1', {
      token: bearer,
    });
    assert.deepEqual(
      [(rec.json as { size: number }).size, (rec.json as { duration: number }).duration],
      [12345, 4],
    );
    const actions = (await auditEntriesOf(stack, 'lk-rec', bearer)).map((e) => e.action);
    assert.ok(actions.includes('recording.started'), actions.join());
  });

  it('should keep chat history from messages the sender relays, only from their own connection', async () => {
    const drBearer = await doctor();
    const patBearer = await patient(3);
    const dr = await tokenFor(drBearer, 'lk-chat');
    const pat = await tokenFor(patBearer, 'lk-chat');
    const message = { v: 1, id: 'm-1', text: 'hello', sentAt: '2026-01-01T00:00:00.000Z' };
    const relay = (bearer: string, connectionId: string, m = message) =>
      stack.call('POST', '/api/consults/lk-chat/messages', {
        token: bearer,
        body: { connectionId, message: m },
      });
    assert.equal((await relay(drBearer, dr.connectionId)).status, 200);
    assert.equal((await relay(drBearer, dr.connectionId)).status, 200, 'a repeat is harmless');
    // Someone else's connection: refused, so nobody writes in another's name.
    const forged = await relay(patBearer, dr.connectionId, { ...message, id: 'm-2' });
    assert.equal(forged.status, 403);
    const outsider = await relay(await patient(9), pat.connectionId, { ...message, id: 'm-3' });
    assert.equal(outsider.status, 403);
    const history = await stack.call('GET', '/api/consults/lk-chat/messages', { token: patBearer });
    assert.equal(history.status, 200, history.text);
    const list = (history.json as { messages: { id: string; senderId: string }[] }).messages;
    assert.deepEqual(
      list.map((m) => [m.id, m.senderId]),
      [['m-1', 'dr-1']],
    );
    assert.ok(
      stack.logs.lines.every((l) => !l.includes('hello')),
      'no chat text in the logs',
    );
  });

  it('should answer 503 openvidu-unavailable when LiveKit fails', async () => {
    twirp.answers.set('RoomService/CreateRoom', () => [503, { code: 'unavailable', msg: 'x' }]);
    try {
      const r = await stack.call('POST', '/api/consults/lk-down/token', {
        token: await doctor(),
        body: {},
      });
      assert.equal(r.status, 503, r.text);
      assert.equal((r.json as { error: { code: string } }).error.code, 'openvidu-unavailable');
    } finally {
      twirp.answers.delete('RoomService/CreateRoom');
    }
  });
});

describe('trust rules with MEDIA_BACKEND=livekit', () => {
  const twirp = new FakeTwirp();
  let stack: Stack;

  before(async () => {
    await twirp.start();
    stack = await startStack({
      noMediaServer: true,
      mediaBackend: 'livekit',
      livekit: { url: twirp.url, apiKey: API_KEY, apiSecret: API_SECRET },
      // The portal's binding: nobody may act in `lk-closed`.
      authorize: (_user, consultId) => consultId !== 'lk-closed',
    });
  });
  after(async () => {
    await stack?.close();
    await twirp.close();
  });

  it('should refuse a consultation the portal does not allow before minting anything', async () => {
    const r = await stack.call('POST', '/api/consults/lk-closed/token', {
      token: await doctor(),
      body: {},
    });
    assert.equal(r.status, 403, r.text);
    assert.equal(twirp.calls.length, 0, 'LiveKit was not called');
  });

  it('should keep a patient in the waiting room until admitted, then hand out a LiveKit token', async () => {
    const drBearer = await doctor();
    const patBearer = await patient(4);
    assert.equal(
      (await stack.call('POST', '/api/consults/lk-lobby/token', { token: drBearer, body: {} }))
        .status,
      200,
    );
    const waiting = await stack.call('POST', '/api/consults/lk-lobby/token', {
      token: patBearer,
      body: {},
    });
    assert.equal(waiting.status, 202, waiting.text);
    const admit = await stack.call('POST', '/api/consults/lk-lobby/lobby/pat-4/admit', {
      token: drBearer,
    });
    assert.equal(admit.status, 200, admit.text);
    const r = await stack.call('POST', '/api/consults/lk-lobby/token', {
      token: patBearer,
      body: {},
    });
    assert.equal(r.status, 200, r.text);
    const t = r.json as TokenResponse;
    const claims = await new TokenVerifier(API_KEY, API_SECRET).verify(t.token);
    assert.equal(claims.video?.room, 'lk-lobby');
    assert.equal(claims.video?.roomAdmin, false);
  });

  it('should gate recording on the consent of everyone in the room', async () => {
    const drBearer = await doctor();
    const patBearer = await patient(5);
    const dr = (
      await stack.call('POST', '/api/consults/lk-consent/token', { token: drBearer, body: {} })
    ).json as TokenResponse;
    await stack.call('POST', '/api/consults/lk-consent/token', { token: patBearer, body: {} });
    await stack.call('POST', '/api/consults/lk-consent/lobby/pat-5/admit', { token: drBearer });
    const pat = (
      await stack.call('POST', '/api/consults/lk-consent/token', { token: patBearer, body: {} })
    ).json as TokenResponse;
    const participant = (identity: string, userId: string, role: string) => ({
      identity,
      metadata: JSON.stringify({ userId, displayName: userId, role }),
      joinedAt: '1700000000',
      state: 'ACTIVE',
    });
    twirp.answers.set('RoomService/ListParticipants', () => [
      200,
      {
        participants: [
          participant(dr.connectionId, 'dr-1', 'provider'),
          participant(pat.connectionId, 'pat-5', 'patient'),
        ],
      },
    ]);
    twirp.answers.set('Egress/StartRoomCompositeEgress', () => [
      200,
      { egressId: 'EG_consent', roomName: 'lk-consent', status: 'EGRESS_STARTING' },
    ]);
    const early = await stack.call('POST', '/api/consults/lk-consent/recordings', {
      token: drBearer,
    });
    assert.equal(early.status, 412, early.text);
    assert.equal((early.json as { error: { code: string } }).error.code, 'consent-required');
    assert.equal(twirp.of('StartRoomCompositeEgress').length, 0, 'no egress before consent');
    for (const bearer of [drBearer, patBearer]) {
      const r = await stack.call('POST', '/api/consults/lk-consent/recording-consent', {
        token: bearer,
        body: { granted: true },
      });
      assert.equal(r.status, 200, r.text);
    }
    // The provider's pending request starts the egress once the last consent arrived.
    await waitFor('the egress to start', () => twirp.of('StartRoomCompositeEgress').length === 1);
    assert.equal(twirp.of('StartRoomCompositeEgress')[0]?.body['roomName'], 'lk-consent');
  });
});

describe('MEDIA_BACKEND configuration', () => {
  it('should default to OpenVidu and leave the token answer unchanged', () => {
    const cfg = resolveOptions({ env: {} });
    assert.equal(cfg.mediaBackend, 'openvidu');
    assert.equal(cfg.livekit, undefined);
  });

  it('should refuse an unknown backend and missing LiveKit settings in production, by name only', () => {
    assert.throws(() => resolveOptions({ env: { MEDIA_BACKEND: 'janus' } }), /MEDIA_BACKEND/);
    // No OPENVIDU_SECRET: a LiveKit deployment has no OpenVidu secret to give.
    const env = {
      NODE_ENV: 'production',
      MEDIA_BACKEND: 'livekit',
      LIVEKIT_URL: 'wss://lk.example',
      LIVEKIT_API_KEY: 'key',
    };
    assert.throws(() => resolveOptions({ env }), /LIVEKIT_API_SECRET is required/);
    assert.throws(
      () => resolveOptions({ env: { ...env, LIVEKIT_API_SECRET: 's3cr3t', LIVEKIT_URL: 'lk' } }),
      (e: unknown) =>
        e instanceof Error && /LIVEKIT_URL/.test(e.message) && !/s3cr3t/.test(e.message),
    );
    const ok = resolveOptions({ env: { ...env, LIVEKIT_API_SECRET: 's3cr3t' } });
    assert.deepEqual(ok.livekit, {
      url: 'wss://lk.example',
      apiKey: 'key',
      apiSecret: 's3cr3t',
      recordingsUrl: undefined,
    });
  });

  it('should refuse the other backend’s settings instead of ignoring them, by name only', () => {
    assert.throws(
      () =>
        resolveOptions({ env: { LIVEKIT_URL: 'wss://lk.example', LIVEKIT_API_SECRET: 's3cr3t' } }),
      (e: unknown) =>
        e instanceof Error &&
        /LIVEKIT_URL, LIVEKIT_API_SECRET are set but MEDIA_BACKEND is openvidu/.test(e.message) &&
        /MEDIA_BACKEND=livekit/.test(e.message) &&
        !/s3cr3t|lk\.example/.test(e.message),
    );
    assert.throws(
      () => resolveOptions({ env: {}, livekit: { url: 'wss://lk.example' } }),
      /The livekit option is set but MEDIA_BACKEND is openvidu/,
    );
    assert.throws(
      () =>
        resolveOptions({ env: { MEDIA_BACKEND: 'livekit', OPENVIDU_URL: 'https://ov.example' } }),
      (e: unknown) =>
        e instanceof Error &&
        /OPENVIDU_URL .* is set but MEDIA_BACKEND is livekit/.test(e.message) &&
        !/ov\.example/.test(e.message),
    );
    assert.throws(
      () => resolveOptions({ env: {}, mediaBackend: 'livekit', openviduUrl: 'https://ov.example' }),
      /MEDIA_BACKEND is livekit/,
    );
    // Empty values count as unset; the OpenVidu secret alone (a shared environment) is no mistake.
    assert.equal(
      resolveOptions({ env: { LIVEKIT_URL: ' ', MEDIA_BACKEND: '' } }).mediaBackend,
      'openvidu',
    );
    assert.equal(
      resolveOptions({ env: { MEDIA_BACKEND: 'livekit', OPENVIDU_SECRET: 'x' } }).mediaBackend,
      'livekit',
    );
  });

  it('should default to LiveKit’s dev-mode key pair outside production', () => {
    const cfg = resolveOptions({ env: { MEDIA_BACKEND: 'livekit' } });
    assert.deepEqual(cfg.livekit, {
      url: 'ws://localhost:7880',
      apiKey: 'devkey',
      apiSecret: 'secret',
      recordingsUrl: undefined,
    });
  });
});
