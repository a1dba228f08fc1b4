import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { JoinResponse, LeaveRequest } from '@livekit/protocol';
import {
  DataPacket_Kind,
  RequestResponse_Reason,
  SignalRequest,
  SignalResponse,
} from '@livekit/protocol';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { WebSocket } from 'ws';
import { parseDevServerArgs } from '../cli.js';
import type { LiveKitRoomEvent } from './contract.js';
import { decodeSignalRequest } from './signal-connection.js';
import { resolveCredentials, startLiveKitDevServer } from './server.js';
import type { LiveKitDevServer } from './server.js';

let server: LiveKitDevServer;
const events: LiveKitRoomEvent[] = [];

async function token(
  identity: string,
  room = 'r1',
  extra: Record<string, unknown> = {},
): Promise<string> {
  const at = new AccessToken(server.apiKey, server.apiSecret, {
    identity,
    metadata: `m-${identity}`,
  });
  at.addGrant({ roomJoin: true, room, ...extra });
  return at.toJwt();
}

type ValueOf<C> = Extract<SignalResponse['message'], { case: C }>['value'];

/** A raw signalling client: collects every SignalResponse. */
class RawClient {
  readonly messages: SignalResponse[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer) =>
      this.messages.push(SignalResponse.fromBinary(new Uint8Array(data))),
    );
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  send(message: NonNullable<ConstructorParameters<typeof SignalRequest>[0]>['message']): void {
    this.ws.send(new SignalRequest({ message }).toBinary());
  }
  async next<C extends NonNullable<SignalResponse['message']['case']>>(
    kind: C,
    timeoutMs = 5000,
  ): Promise<ValueOf<C>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.messages.findIndex((m) => m.message.case === kind);
      if (at >= 0) {
        const [found] = this.messages.splice(at, 1);
        return found!.message.value as unknown as ValueOf<C>;
      }
      if (Date.now() > deadline) throw new Error(`no ${kind} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

void describe('LiveKit mode: HTTP and signalling', () => {
  before(async () => {
    server = await startLiveKitDevServer({
      port: 0,
      events: { emit: (e) => events.push(e) },
      services: (req) => Response.json({ path: new URL(req.url).pathname }),
    });
  });
  after(() => server.close());

  void it('GET /rtc/validate answers like LiveKit: 200, or 401 with the reason; /rtc/v1 is 404', async () => {
    const ok = await fetch(`${server.url}/rtc/validate?access_token=${await token('a')}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    const bad = await fetch(`${server.url}/rtc/validate?access_token=nope`);
    assert.equal(bad.status, 401);
    assert.equal(await bad.text(), 'invalid token');
    const v1 = await fetch(`${server.url}/rtc/v1/validate?access_token=x`);
    assert.equal(v1.status, 404);
    assert.doesNotMatch(await v1.text(), /requested room does not exist/); // the client falls back to /rtc
  });

  void it('hands /twirp/ to the services and answers other paths with 404 JSON', async () => {
    const twirp = await fetch(`${server.url}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST',
      body: '{}',
    });
    assert.deepEqual(await twirp.json(), { path: '/twirp/livekit.RoomService/ListRooms' });
    const other = await fetch(`${server.url}/nope`);
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'not_found');
    // Without injected services the server answers Twirp and egress files itself, over its rooms.
    const bare = await startLiveKitDevServer({ port: 0, recordingsDir: tmpdir() });
    try {
      const none = await fetch(`${bare.url}/twirp/livekit.RoomService/ListRooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(none.status, 401);
      assert.equal(((await none.json()) as { code: string }).code, 'unauthenticated');
      const client = new RoomServiceClient(bare.url, bare.apiKey, bare.apiSecret);
      await client.createRoom({ name: 'built-in' });
      assert.deepEqual(
        (await client.listRooms()).map((r) => r.name),
        ['built-in'],
      );
      assert.deepEqual(
        bare.rooms.listRooms().map((r) => r.name),
        ['built-in'],
      );
    } finally {
      await bare.close();
    }
  });

  void it('refuses the upgrade with a bad token, and /rtc/v1', async () => {
    for (const path of ['/rtc?access_token=bad', `/rtc/v1?access_token=${await token('a')}`]) {
      const ws = new WebSocket(`${server.wsUrl}${path}`);
      const status = await new Promise<number>((resolve) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => resolve(101));
        ws.once('error', () => undefined);
      });
      assert.ok(status === 401 || status === 404, `status ${status} for ${path}`);
    }
  });

  void it('joins, answers pings, tells others, relays leave, and removes with a reason', async () => {
    const a = new RawClient(
      `${server.wsUrl}/rtc?access_token=${await token('alice')}&auto_subscribe=1`,
    );
    await a.opened;
    const joinA = (await a.next('join')) as JoinResponse;
    assert.equal(joinA.room?.name, 'r1');
    assert.equal(joinA.participant?.identity, 'alice');
    assert.equal(joinA.participant?.metadata, 'm-alice');
    assert.match(joinA.participant?.sid ?? '', /^PA_/);
    assert.equal(joinA.subscriberPrimary, true);
    assert.deepEqual(
      joinA.enabledPublishCodecs.map((c) => c.mime),
      ['video/VP8', 'audio/opus'],
    );
    assert.ok(joinA.pingInterval > 0 && joinA.pingTimeout > joinA.pingInterval);
    const offer = await a.next('offer');
    assert.match(offer.sdp, /m=application .* webrtc-datachannel/);

    a.send({ case: 'pingReq', value: { timestamp: 1234n } });
    const pong = await a.next('pongResp');
    assert.equal(pong.lastPingTimestamp, 1234n);
    a.send({ case: 'ping', value: 99n });
    assert.ok((await a.next('pong')) > 0n);

    const b = new RawClient(`${server.wsUrl}/rtc?access_token=${await token('bob')}`);
    await b.opened;
    const joinB = (await b.next('join')) as JoinResponse;
    assert.deepEqual(
      joinB.otherParticipants.map((p) => p.identity),
      ['alice'],
    );
    const update = await a.next('update');
    assert.equal(update.participants[0]?.identity, 'bob');

    // Server data to bob only.
    assert.equal(
      server.rooms.sendData('r1', new Uint8Array([1]), {
        kind: DataPacket_Kind.RELIABLE,
        destinationIdentities: ['bob'],
      }),
      true,
    );
    assert.equal(
      server.rooms.sendData('nope', new Uint8Array([1]), { kind: DataPacket_Kind.RELIABLE }),
      false,
    );

    assert.equal(server.rooms.removeParticipant('r1', 'bob'), true);
    const leave = (await b.next('leave')) as LeaveRequest;
    assert.equal(leave.reason, 4); // PARTICIPANT_REMOVED
    assert.equal(leave.canReconnect, false);
    const gone = await a.next('update');
    assert.equal(gone.participants[0]?.identity, 'bob');
    assert.equal(gone.participants[0]?.state, 3); // DISCONNECTED
    assert.equal(server.rooms.removeParticipant('r1', 'bob'), false);

    a.send({ case: 'leave', value: {} });
    await new Promise<void>((resolve) => a.ws.once('close', () => resolve()).close());
    assert.deepEqual(server.rooms.listParticipants('r1'), []);
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'room_started',
        'participant_joined',
        'participant_joined',
        'participant_left',
        'participant_left',
      ],
    );
    assert.equal(server.rooms.deleteRoom('r1'), true);
    assert.equal(events.at(-1)?.event, 'room_finished');
  });

  void it('resumes a participant on reconnect=1 with its sid; refuses an unknown sid', async () => {
    const url = (t: string, q = '') => `${server.wsUrl}/rtc?access_token=${t}${q}`;
    const a = new RawClient(url(await token('ada', 'r-resume')));
    await a.opened;
    const sid = ((await a.next('join')) as JoinResponse).participant!.sid;
    await a.next('offer');
    const b = new RawClient(url(await token('ben', 'r-resume')));
    await b.opened;
    await b.next('join');
    await a.next('update');

    // ada's socket drops; ben leaves while it is down; ada resumes.
    await new Promise<void>((resolve) => a.ws.once('close', () => resolve()).terminate());
    b.send({ case: 'leave', value: {} });
    await new Promise<void>((resolve) => b.ws.once('close', () => resolve()).close());
    const resumed = new RawClient(
      url(await token('ada', 'r-resume'), `&reconnect=1&sid=${sid}&reconnect_reason=1`),
    );
    await resumed.opened;
    await resumed.next('reconnect');
    assert.equal(resumed.messages[0]?.message.case, 'update', 'the room follows the response');
    const update = await resumed.next('update');
    assert.deepEqual(
      update.participants.map((p) => [p.identity, p.state]),
      [['ben', 3]], // DISCONNECTED while ada's socket was down
    );
    const restart = await resumed.next('offer');
    assert.match(restart.sdp, /a=ice-ufrag:/);
    assert.deepEqual(
      server.rooms.listParticipants('r-resume')?.map((p) => [p.identity, p.sid]),
      [['ada', sid]],
    );

    // An unknown sid gets a RECONNECT leave: the client rejoins.
    const stale = new RawClient(url(await token('ada', 'r-resume'), '&reconnect=1&sid=PA_unknown'));
    await stale.opened;
    const leave = (await stale.next('leave')) as LeaveRequest;
    assert.equal(leave.action, 2); // RECONNECT
    assert.equal(server.rooms.listParticipants('r-resume')?.length, 1);

    resumed.send({ case: 'leave', value: {} });
    await new Promise<void>((resolve) => resumed.ws.once('close', () => resolve()).close());
    assert.equal(server.rooms.deleteRoom('r-resume'), true);
  });

  void it('refuses metadata updates without canUpdateOwnMetadata and applies them with it', async () => {
    const a = new RawClient(`${server.wsUrl}/rtc?access_token=${await token('carol', 'r2')}`);
    await a.opened;
    await a.next('join');
    a.send({ case: 'updateMetadata', value: { metadata: 'new', requestId: 7 } });
    const refused = await a.next('requestResponse');
    assert.equal(refused.requestId, 7);
    assert.equal(refused.reason, RequestResponse_Reason.NOT_ALLOWED);
    a.ws.close();
    const b = new RawClient(
      `${server.wsUrl}/rtc?access_token=${await token('dave', 'r2', { canUpdateOwnMetadata: true })}`,
    );
    await b.opened;
    await b.next('join');
    b.send({ case: 'updateMetadata', value: { metadata: 'new', requestId: 8 } });
    assert.equal((await b.next('requestResponse')).reason, 0);
    assert.equal(server.rooms.getParticipant('r2', 'dave')?.metadata, 'new');
    b.ws.close();
    server.rooms.deleteRoom('r2');
  });

  void it('decodes JSON text frames as well as binary ones', () => {
    const binary = new SignalRequest({ message: { case: 'ping', value: 5n } }).toBinary();
    assert.equal(decodeSignalRequest(Buffer.from(binary), true).message.case, 'ping');
    const json = Buffer.from(JSON.stringify({ leave: { reason: 'CLIENT_INITIATED' } }));
    assert.equal(decodeSignalRequest(json, false).message.case, 'leave');
    assert.throws(() => decodeSignalRequest(Buffer.from([0xff, 0xff, 0xff]), true));
  });
});

void describe('LiveKit mode: credentials and CLI', () => {
  void it('uses devkey/secret on loopback only', () => {
    assert.deepEqual(resolveCredentials(undefined, undefined, true), {
      apiKey: 'devkey',
      apiSecret: 'secret',
      generated: false,
    });
    const remote = resolveCredentials(undefined, undefined, false);
    assert.equal(remote.generated, true);
    assert.notEqual(remote.apiSecret, 'secret');
    assert.throws(() => resolveCredentials('devkey', 'secret', false), /refuses/);
  });

  void it('parses --protocol livekit with --api-key/--api-secret or the LIVEKIT_ env', () => {
    const flags = parseDevServerArgs([
      '--protocol',
      'livekit',
      '--api-key',
      'k',
      '--api-secret',
      's',
      '--port',
      '0',
    ]);
    assert.equal(flags.protocol, 'livekit');
    assert.deepEqual(flags.livekit, { apiKey: 'k', apiSecret: 's' });
    const env = parseDevServerArgs(['--protocol', 'livekit'], {
      LIVEKIT_API_KEY: 'ek',
      LIVEKIT_API_SECRET: 'es',
    });
    assert.deepEqual(env.livekit, { apiKey: 'ek', apiSecret: 'es' });
    assert.throws(() => parseDevServerArgs(['--protocol', 'janus']), /openvidu or livekit/);
    assert.throws(
      () => parseDevServerArgs(['--protocol', 'livekit', '--secret', 'x']),
      /not available/,
    );
    assert.throws(() => parseDevServerArgs(['--api-key', 'k']), /need --protocol livekit/);
    assert.equal(parseDevServerArgs([]).protocol, 'openvidu');
  });
});
