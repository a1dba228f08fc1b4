/**
 * The LiveKit mode's egress and webhooks over a real HTTP server on loopback, driven by
 * livekit-server-sdk's own EgressClient and WebhookReceiver (unchanged), with an in-memory rooms
 * double behind them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EgressStatus } from '@livekit/protocol';
import {
  EgressClient,
  EncodedFileOutput,
  EncodedFileType,
  WebhookReceiver,
} from 'livekit-server-sdk';
import {
  FakeRooms,
  jwt,
  KEY,
  opts,
  rejectsWith,
  SECRET,
  serveServices,
  waitFor,
  WebhookInbox,
  type ServedServices,
} from './services-test-support.js';

describe('LiveKit services: egress and webhooks', () => {
  const rooms = new FakeRooms();
  const inbox = new WebhookInbox();
  const receiver = new WebhookReceiver(KEY, SECRET);
  let served: ServedServices;
  let egress: EgressClient;
  let dir: string;

  /** The webhooks received so far, verified by WebhookReceiver. */
  const events = async () =>
    Promise.all(inbox.received.map((w) => receiver.receive(w.body, w.headers.authorization)));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-egress-'));
    await inbox.start();
    served = await serveServices({
      rooms,
      apiKey: KEY,
      apiSecret: SECRET,
      recordingsDir: dir,
      webhook: { url: inbox.url, retryBaseMs: 20, maxAttempts: 3 },
    });
    egress = new EgressClient(served.url, KEY, SECRET, opts);
  });
  after(async () => {
    await served?.close();
    await inbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should record a room to an MP4 through STARTING → ACTIVE → ENDING → COMPLETE, with webhooks', async () => {
    rooms.join('rec-1', 'con_a');
    const output = new EncodedFileOutput({
      fileType: EncodedFileType.MP4,
      filepath: 'rec-1/{room_name}-{time}.mp4',
    });
    const started = await egress.startRoomCompositeEgress('rec-1', { file: output });
    assert.match(started.egressId, /^EG_[A-Za-z0-9]{12}$/);
    assert.equal(started.roomName, 'rec-1');
    assert.equal(started.status, EgressStatus.EGRESS_STARTING);

    await waitFor(() => rooms.recordings.length === 1, 'the recorder to start');
    const rec = rooms.recordings[0];
    assert.equal(rec?.options.recordingId, started.egressId);
    assert.match(rec?.options.name ?? '', /^rec-1-\d{4}-\d\d-\d\dT\d{6}$/);
    assert.equal(rec?.options.dir, join(dir, 'rec-1'));

    let active = await egress.listEgress({ egressId: started.egressId });
    for (
      const deadline = Date.now() + 5000;
      active[0]?.status !== EgressStatus.EGRESS_ACTIVE && Date.now() < deadline;
    )
      active = await egress.listEgress({ egressId: started.egressId });
    assert.equal(active[0]?.status, EgressStatus.EGRESS_ACTIVE);
    assert.ok((active[0]?.startedAt ?? 0n) > 1_000_000_000_000_000_000n, 'startedAt in ns');
    assert.deepEqual(
      (await egress.listEgress({ roomName: 'rec-1', active: true })).map((e) => e.egressId),
      [started.egressId],
    );

    const stopping = await egress.stopEgress(started.egressId);
    assert.equal(stopping.status, EgressStatus.EGRESS_ENDING);
    await waitFor(
      () => inbox.received.some((w) => w.body.includes('egress_ended')),
      'egress_ended',
    );
    const [done] = await egress.listEgress('rec-1');
    assert.equal(done?.status, EgressStatus.EGRESS_COMPLETE);
    const file = done?.fileResults[0];
    assert.equal(file?.filename, `rec-1/${rec?.options.name}.mp4`);
    assert.equal(file?.size, 4096n);
    assert.equal(file?.duration, 2_500_000_000n);
    assert.equal(file?.location, `/egress-files/rec-1/${rec?.options.name}.mp4`);
    assert.ok((done?.endedAt ?? 0n) >= (done?.startedAt ?? 1n));
    assert.equal((await stat(join(dir, file?.filename ?? ''))).size, 4096);
    assert.deepEqual(await egress.listEgress({ roomName: 'rec-1', active: true }), []);
    await rejectsWith(egress.stopEgress(started.egressId), 412, 'failed_precondition');

    const egressEvents = (await events()).filter(
      (e) => e.egressInfo?.egressId === started.egressId,
    );
    assert.deepEqual(
      egressEvents.map((e) => [e.event, e.egressInfo?.status]),
      [
        ['egress_started', EgressStatus.EGRESS_STARTING],
        ['egress_updated', EgressStatus.EGRESS_ACTIVE],
        ['egress_updated', EgressStatus.EGRESS_ENDING],
        ['egress_ended', EgressStatus.EGRESS_COMPLETE],
      ],
    );
    assert.equal(egressEvents.at(-1)?.egressInfo?.fileResults[0]?.size, 4096n);
  });

  it('should take the legacy file output, audio only, and a default file name', async () => {
    rooms.join('rec-2', 'con_b');
    const info = await egress.startRoomCompositeEgress(
      'rec-2',
      new EncodedFileOutput({ filepath: '' }),
      {
        audioOnly: true,
      },
    );
    await waitFor(
      () => rooms.recordings.some((r) => r.options.recordingId === info.egressId),
      'the recorder',
    );
    const rec = rooms.recordings.find((r) => r.options.recordingId === info.egressId);
    assert.equal(rec?.options.audioOnly, true);
    assert.equal(rec?.options.dir, dir);
    assert.match(rec?.options.name ?? '', /^rec-2-\d{4}-/);
    await waitFor(
      () => inbox.received.filter((w) => w.body.includes(info.egressId)).length >= 2,
      'ACTIVE',
    );
    await egress.stopEgress(info.egressId);
    await waitFor(
      () =>
        inbox.received.some(
          (w) => w.body.includes('egress_ended') && w.body.includes(info.egressId),
        ),
      'egress_ended',
    );
  });

  it('should refuse a file path that leaves the recordings folder, and other outputs', async () => {
    rooms.join('rec-3', 'con_c');
    for (const filepath of [
      '../evil.mp4',
      '/tmp/abs.mp4',
      'a/../../b.mp4',
      'ok/../../../x',
      '.hidden.mp4',
      'a//b.mp4',
      'x.webm',
      'a\\..\\b.mp4',
    ]) {
      await rejectsWith(
        egress.startRoomCompositeEgress('rec-3', { file: new EncodedFileOutput({ filepath }) }),
        400,
        'invalid_argument',
      );
    }
    await rejectsWith(
      egress.startRoomCompositeEgress('rec-3', {
        file: new EncodedFileOutput({ filepath: 'x', fileType: EncodedFileType.OGG }),
      }),
      400,
      'invalid_argument',
    );
    assert.equal(rooms.recordings.filter((r) => r.room === 'rec-3').length, 0);

    // A folder that is a symlink out of the recordings folder: the egress fails, nothing is recorded.
    const outside = await mkdtemp(join(tmpdir(), 'lk-outside-'));
    await symlink(outside, join(dir, 'link'));
    const linked = await egress.startRoomCompositeEgress('rec-3', {
      file: new EncodedFileOutput({ filepath: 'link/x.mp4' }),
    });
    await waitFor(
      () =>
        inbox.received.some(
          (w) => w.body.includes('egress_ended') && w.body.includes(linked.egressId),
        ),
      'egress_ended',
    );
    const [failed] = await egress.listEgress({ egressId: linked.egressId });
    assert.equal(failed?.status, EgressStatus.EGRESS_FAILED);
    assert.equal(rooms.recordings.filter((r) => r.room === 'rec-3').length, 0);
    await rm(outside, { recursive: true, force: true });
    assert.deepEqual(
      (await readdir(join(dir, '..'))).filter((n) => n === 'evil.mp4' || n === 'b.mp4'),
      [],
    );
  });

  it('should answer not_found, invalid_argument and unauthenticated as LiveKit', async () => {
    await rejectsWith(
      egress.startRoomCompositeEgress('ghost', {
        file: new EncodedFileOutput({ filepath: 'g.mp4' }),
      }),
      404,
      'not_found',
    );
    await rejectsWith(
      egress.startRoomCompositeEgress('bad name', {
        file: new EncodedFileOutput({ filepath: 'g.mp4' }),
      }),
      400,
      'invalid_argument',
    );
    await rejectsWith(egress.stopEgress('EG_nothere'), 404, 'not_found');
    await rejectsWith(egress.stopEgress('../x'), 400, 'invalid_argument');
    const noRecord = new EgressClient(served.url, KEY, SECRET, {
      ...opts,
      token: await jwt({ roomAdmin: true, room: 'rec-1' }),
    });
    await rejectsWith(noRecord.listEgress(), 401, 'unauthenticated');
    await rejectsWith(
      new EgressClient(served.url, KEY, 'bad-secret-bad-secret-bad-secret', opts).listEgress(),
      401,
      'unauthenticated',
    );
  });

  it('should end an egress whose file cannot be made as FAILED, with its error', async () => {
    rooms.join('rec-4', 'con_d');
    rooms.failRecording = true;
    try {
      const info = await egress.startRoomCompositeEgress('rec-4', {
        file: new EncodedFileOutput({ filepath: 'rec-4/f.mp4' }),
      });
      await waitFor(
        () => inbox.received.filter((w) => w.body.includes(info.egressId)).length >= 2,
        'ACTIVE',
      );
      await egress.stopEgress(info.egressId);
      await waitFor(
        () =>
          inbox.received.some(
            (w) => w.body.includes('egress_ended') && w.body.includes(info.egressId),
          ),
        'egress_ended',
      );
      const [failed] = await egress.listEgress({ egressId: info.egressId });
      assert.equal(failed?.status, EgressStatus.EGRESS_FAILED);
      assert.equal(failed?.error, 'composition failed');
      assert.deepEqual(failed?.fileResults, []);
    } finally {
      rooms.failRecording = false;
    }
  });

  it('should serve a finished file to a loopback peer or a roomRecord token, with ranges, and delete it', async () => {
    const [done] = await egress.listEgress('rec-1');
    const path = done?.fileResults[0]?.filename ?? '';
    const url = `${served.url}/egress-files/${path}`;
    const full = await fetch(url);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'video/mp4');
    assert.equal((await full.arrayBuffer()).byteLength, 4096);
    const part = await fetch(url, { headers: { Range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);

    // Not from loopback: a roomRecord token is needed.
    const far = { remoteAddress: '192.0.2.7' };
    const req = (init?: RequestInit) =>
      new Request(`http://dev.example${'/egress-files/'}${path}`, init);
    assert.equal((await served.services.fetch(req(), far)).status, 401);
    const noGrant = await jwt({ roomAdmin: true, room: 'rec-1' });
    assert.equal(
      (await served.services.fetch(req({ headers: { Authorization: `Bearer ${noGrant}` } }), far))
        .status,
      401,
    );
    const record = await jwt({ roomRecord: true });
    const ok = await served.services.fetch(
      req({ headers: { Authorization: `Bearer ${record}` } }),
      far,
    );
    assert.equal(ok.status, 200);
    await ok.body?.cancel();

    for (const bad of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e/x.mp4', 'rec-1/.hidden', 'nope.mp4'])
      assert.equal((await fetch(`${served.url}/egress-files/${bad}`)).status, 404, bad);

    const del = await fetch(url, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await fetch(url)).status, 404);
    assert.equal((await fetch(url, { method: 'DELETE' })).status, 404);
  });

  it('should send room events as webhooks WebhookReceiver verifies, in order, and refuse a tampered body', async () => {
    const before = inbox.received.length;
    const room = rooms.createRoom({ name: 'hooks' });
    const p = rooms.join('hooks', 'con_h');
    served.services.events.emit({ event: 'room_started', room });
    served.services.events.emit({ event: 'participant_joined', room, participant: p });
    served.services.events.emit({
      event: 'track_published',
      room,
      participant: p,
      track: p.tracks[0]!,
    });
    served.services.events.emit({ event: 'participant_left', room, participant: p });
    served.services.events.emit({ event: 'room_finished', room });
    await waitFor(() => inbox.received.length === before + 5, '5 webhooks');
    const mine = inbox.received.slice(before);
    for (const w of mine) {
      assert.equal(w.headers['content-type'], 'application/webhook+json');
      assert.ok(w.headers.authorization && !w.headers.authorization.startsWith('Bearer'));
    }
    const got = await Promise.all(
      mine.map((w) => receiver.receive(w.body, w.headers.authorization)),
    );
    assert.deepEqual(
      got.map((e) => e.event),
      [
        'room_started',
        'participant_joined',
        'track_published',
        'participant_left',
        'room_finished',
      ],
    );
    assert.equal(got[1]?.participant?.identity, 'con_h');
    assert.equal(got[2]?.track?.sid, 'TR_conh');
    assert.equal(got[0]?.room?.name, 'hooks');
    for (const e of got) {
      assert.match(e.id, /^EV_/);
      assert.ok(Math.abs(Number(e.createdAt) - Date.now() / 1000) < 60, 'createdAt in seconds');
    }
    assert.equal(new Set(got.map((e) => e.id)).size, 5);

    const first = mine[0]!;
    await assert.rejects(
      receiver.receive(first.body.replace('hooks', 'hookz'), first.headers.authorization),
      /sha256/,
    );
    await assert.rejects(
      new WebhookReceiver(KEY, 'another-secret-another-secret-xx').receive(
        first.body,
        first.headers.authorization,
      ),
    );
    await assert.rejects(
      new WebhookReceiver('another-key', SECRET).receive(first.body, first.headers.authorization),
    );
  });

  it('should retry a webhook the receiver failed with 5xx, keeping the order', async () => {
    const before = inbox.received.length;
    let answers = 0;
    inbox.status = () => (++answers === 1 ? 503 : 200);
    try {
      const room = rooms.createRoom({ name: 'hooks-retry' });
      served.services.events.emit({ event: 'room_started', room });
      served.services.events.emit({ event: 'room_finished', room });
      await waitFor(() => inbox.received.length === before + 3, 'a retried webhook and the next');
      const got = await Promise.all(
        inbox.received.slice(before).map((w) => receiver.receive(w.body, w.headers.authorization)),
      );
      assert.deepEqual(
        got.map((e) => e.event),
        ['room_started', 'room_started', 'room_finished'],
      );
      assert.equal(got[0]?.id, got[1]?.id);
    } finally {
      inbox.status = () => 200;
    }
  });

  it('should finish live egresses on close', async () => {
    const rooms2 = new FakeRooms();
    rooms2.join('rec-close', 'con_z');
    const dir2 = await mkdtemp(join(tmpdir(), 'lk-close-'));
    const s = await serveServices({
      rooms: rooms2,
      apiKey: KEY,
      apiSecret: SECRET,
      recordingsDir: dir2,
    });
    try {
      const c = new EgressClient(s.url, KEY, SECRET, opts);
      await c.startRoomCompositeEgress('rec-close', {
        file: new EncodedFileOutput({ filepath: 'c.mp4' }),
      });
      await waitFor(() => rooms2.recordings.length === 1, 'the recorder');
    } finally {
      await s.close();
    }
    assert.equal(rooms2.recordings[0]?.stopped, true);
    assert.equal((await readFile(join(dir2, 'c.mp4'))).length, 4096);
    await rm(dir2, { recursive: true, force: true });
  });
});
