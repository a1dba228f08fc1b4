/**
 * The LiveKit mode's services over a real HTTP server on loopback, driven by livekit-server-sdk's
 * own RoomServiceClient (unchanged), with an in-memory rooms double behind them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateRoomRequest, DataPacket_Kind, Room } from '@livekit/protocol';
import { RoomServiceClient, type VideoGrant } from 'livekit-server-sdk';
import {
  FakeRooms,
  jwt,
  KEY,
  opts,
  rejectsWith,
  SECRET,
  serveServices,
  type ServedServices,
} from './services-test-support.js';

describe('LiveKit services: RoomService', () => {
  const rooms = new FakeRooms();
  let served: ServedServices;
  let client: RoomServiceClient;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-services-'));
    served = await serveServices({ rooms, apiKey: KEY, apiSecret: SECRET, recordingsDir: dir });
    client = new RoomServiceClient(served.url, KEY, SECRET, opts);
  });
  after(async () => {
    await served?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should create (idempotently), list, update and delete rooms', async () => {
    const created = await client.createRoom({
      name: 'consult-1',
      emptyTimeout: 300,
      metadata: 'm0',
    });
    assert.equal(created.name, 'consult-1');
    assert.equal(created.emptyTimeout, 300);
    assert.match(created.sid, /^RM_/);
    const again = await client.createRoom({ name: 'consult-1' });
    assert.equal(again.sid, created.sid);
    await client.createRoom({ name: 'consult-2' });
    assert.deepEqual((await client.listRooms()).map((r) => r.name).sort(), [
      'consult-1',
      'consult-2',
    ]);
    assert.deepEqual(
      (await client.listRooms(['consult-2', 'nope'])).map((r) => r.name),
      ['consult-2'],
    );
    const updated = await client.updateRoomMetadata('consult-1', '{"topic":"x"}');
    assert.equal(updated.metadata, '{"topic":"x"}');
    await client.deleteRoom('consult-2');
    assert.equal(rooms.rooms.has('consult-2'), false);
    await rejectsWith(client.deleteRoom('consult-2'), 404, 'not_found');
  });

  it('should list, get, update, mute, message and remove participants', async () => {
    rooms.join('consult-3', 'con_a', '{"role":"provider"}');
    rooms.join('consult-3', 'con_b');
    const list = await client.listParticipants('consult-3');
    assert.deepEqual(list.map((p) => p.identity).sort(), ['con_a', 'con_b']);
    const a = await client.getParticipant('consult-3', 'con_a');
    assert.equal(a.metadata, '{"role":"provider"}');
    assert.equal(a.joinedAt, 1_700_000_100n);

    const u = await client.updateParticipant('consult-3', 'con_b', {
      metadata: 'meta-b',
      name: 'Patient B',
      attributes: { lang: 'ar' },
      permission: { canPublish: false, canSubscribe: true, canPublishData: true },
    });
    assert.equal(u.metadata, 'meta-b');
    assert.equal(u.name, 'Patient B');
    assert.deepEqual(u.attributes, { lang: 'ar' });
    assert.equal(u.permission?.canPublish, false);

    const track = await client.mutePublishedTrack('consult-3', 'con_a', 'TR_cona', true);
    assert.equal(track?.sid, 'TR_cona');
    assert.equal(track?.muted, true);
    await rejectsWith(
      client.mutePublishedTrack('consult-3', 'con_a', 'TR_nope', true),
      404,
      'not_found',
    );

    await client.sendData(
      'consult-3',
      new TextEncoder().encode('hello'),
      DataPacket_Kind.RELIABLE,
      {
        destinationIdentities: ['con_b'],
        topic: 'chat',
      },
    );
    const sent = rooms.sent.at(-1);
    assert.equal(new TextDecoder().decode(sent?.payload), 'hello');
    assert.deepEqual(sent?.to, ['con_b']);
    assert.equal(sent?.topic, 'chat');
    assert.equal(sent?.kind, DataPacket_Kind.RELIABLE);

    await client.removeParticipant('consult-3', 'con_b');
    await rejectsWith(client.getParticipant('consult-3', 'con_b'), 404, 'not_found');
    await rejectsWith(client.removeParticipant('consult-3', 'con_b'), 404, 'not_found');
    await rejectsWith(
      client.updateParticipant('consult-3', 'con_b', { metadata: 'x' }),
      404,
      'not_found',
    );
  });

  it('should answer not_found for an unknown room', async () => {
    await rejectsWith(client.listParticipants('ghost'), 404, 'not_found');
    await rejectsWith(client.getParticipant('ghost', 'con_a'), 404, 'not_found');
    await rejectsWith(client.removeParticipant('ghost', 'con_a'), 404, 'not_found');
    await rejectsWith(client.updateRoomMetadata('ghost', 'x'), 404, 'not_found');
    await rejectsWith(
      client.sendData('ghost', new Uint8Array([1]), DataPacket_Kind.LOSSY),
      404,
      'not_found',
    );
  });

  it('should refuse invalid room names and identities with invalid_argument', async () => {
    await rejectsWith(client.createRoom({ name: '../etc' }), 400, 'invalid_argument');
    await rejectsWith(client.createRoom({ name: '' }), 400, 'invalid_argument');
    await rejectsWith(client.createRoom({ name: 'x'.repeat(257) }), 400, 'invalid_argument');
    await rejectsWith(client.createRoom({ name: 'a b' }), 400, 'invalid_argument');
    await rejectsWith(client.listRooms(['ok', 'no/slash']), 400, 'invalid_argument');
    rooms.join('consult-4', 'con_c');
    await rejectsWith(client.getParticipant('consult-4', 'con/../c'), 400, 'invalid_argument');
    await rejectsWith(client.removeParticipant('consult-4', ''), 400, 'invalid_argument');
    await rejectsWith(
      client.updateRoomMetadata('consult-4', 'x'.repeat(64_001)),
      400,
      'invalid_argument',
    );
    assert.equal(
      rooms.rooms.size,
      [...rooms.rooms.keys()].filter((n) => /^[\w-]+$/.test(n)).length,
    );
  });

  it('should answer 401 unauthenticated for a wrong key, a wrong secret, an expired token or none', async () => {
    await rejectsWith(
      new RoomServiceClient(served.url, 'other', SECRET, opts).listRooms(),
      401,
      'unauthenticated',
    );
    await rejectsWith(
      new RoomServiceClient(served.url, KEY, 'wrong-secret-wrong-secret-wrong', opts).listRooms(),
      401,
      'unauthenticated',
    );
    const expired = await jwt({ roomList: true }, KEY, SECRET, -10);
    await rejectsWith(
      new RoomServiceClient(served.url, KEY, SECRET, { ...opts, token: expired }).listRooms(),
      401,
      'unauthenticated',
    );
    const res = await fetch(`${served.url}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'unauthenticated');
  });

  it('should refuse a token without the grant the method needs (as LiveKit: unauthenticated, "permissions denied")', async () => {
    rooms.join('consult-5', 'con_d');
    const as = async (grant: VideoGrant) =>
      new RoomServiceClient(served.url, KEY, SECRET, { ...opts, token: await jwt(grant) });
    const denied = async (p: Promise<unknown>) => {
      await assert.rejects(p, (e: unknown) => {
        const err = e as { status?: number; code?: string; message?: string };
        assert.equal(err.status, 401);
        assert.equal(err.code, 'unauthenticated');
        assert.equal(err.message, 'permissions denied');
        return true;
      });
    };
    await denied((await as({ roomAdmin: true, room: 'consult-5' })).createRoom({ name: 'z' }));
    await denied((await as({ roomCreate: true })).listRooms());
    await denied((await as({ roomList: true })).deleteRoom('consult-5'));
    // roomAdmin for another room, and roomAdmin without a room.
    await denied((await as({ roomAdmin: true, room: 'consult-1' })).listParticipants('consult-5'));
    await denied((await as({ roomAdmin: true })).getParticipant('consult-5', 'con_d'));
    await denied(
      (await as({ roomCreate: true, roomList: true })).removeParticipant('consult-5', 'con_d'),
    );
    assert.ok(rooms.getParticipant('consult-5', 'con_d'));
    // The grant is checked before the room's existence, so nothing leaks about other rooms.
    await denied((await as({ roomAdmin: true, room: 'consult-1' })).listParticipants('ghost'));
  });

  it('should speak binary protobuf and Twirp routing errors', async () => {
    const auth = { Authorization: `Bearer ${await jwt({ roomCreate: true })}` };
    const res = await fetch(`${served.url}/twirp/livekit.RoomService/CreateRoom`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/protobuf' },
      body: new Uint8Array(
        new CreateRoomRequest({ name: 'binary-room', maxParticipants: 3 }).toBinary(),
      ),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/protobuf');
    const room = Room.fromBinary(new Uint8Array(await res.arrayBuffer()));
    assert.equal(room.name, 'binary-room');
    assert.equal(room.maxParticipants, 3);

    const call = async (path: string, init: RequestInit) => {
      const r = await fetch(`${served.url}${path}`, init);
      return { status: r.status, ...((await r.json()) as { code: string; msg: string }) };
    };
    const json = { ...auth, 'Content-Type': 'application/json' };
    assert.deepEqual(
      (({ status, code }) => ({ status, code }))(
        await call('/twirp/livekit.RoomService/Nope', {
          method: 'POST',
          headers: json,
          body: '{}',
        }),
      ),
      { status: 404, code: 'bad_route' },
    );
    assert.equal(
      (await call('/twirp/livekit.RoomService/CreateRoom', { method: 'GET', headers: auth })).code,
      'bad_route',
    );
    assert.equal(
      (
        await call('/twirp/livekit.RoomService/CreateRoom', {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'text/plain' },
          body: '{}',
        })
      ).code,
      'bad_route',
    );
    const malformed = await call('/twirp/livekit.RoomService/CreateRoom', {
      method: 'POST',
      headers: json,
      body: '{"name":',
    });
    assert.deepEqual([malformed.status, malformed.code], [400, 'malformed']);
    const unimplemented = await call('/twirp/livekit.RoomService/MoveParticipant', {
      method: 'POST',
      headers: json,
      body: '{}',
    });
    assert.deepEqual([unimplemented.status, unimplemented.code], [501, 'unimplemented']);
    assert.equal(
      (await call('/twirp/livekit.Nope/X', { method: 'POST', headers: json, body: '{}' })).code,
      'bad_route',
    );
  });
});
