/**
 * The token server's LiveKit adapter (`MEDIA_BACKEND=livekit`, server/token-server/livekit-server.ts,
 * unchanged) against the LiveKit mode's services on loopback: sessions are rooms, connections
 * participants, recordings egresses, and the proxy download reads `LIVEKIT_RECORDINGS_URL` =
 * `<server>/egress-files`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LiveKitMediaServer } from '../../token-server/livekit-server.js';
import { OpenViduHttpError } from '../../token-server/openvidu-client.js';
import { FakeRooms, serveServices, waitFor, type ServedServices } from './services-test-support.js';

const KEY = 'lk-adapter-key';
const SECRET = 'lk-adapter-secret-0123456789abcdef012345';

describe('token server LiveKit adapter against the LiveKit mode services', () => {
  const rooms = new FakeRooms();
  let served: ServedServices;
  let dir: string;
  let media: LiveKitMediaServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-adapter-'));
    served = await serveServices({ rooms, apiKey: KEY, apiSecret: SECRET, recordingsDir: dir });
    media = new LiveKitMediaServer({
      url: served.url.replace(/^http/, 'ws'),
      apiKey: KEY,
      apiSecret: SECRET,
      tokenTtlSec: 600,
      recordingsUrl: `${served.url}/egress-files`,
    });
  });
  after(async () => {
    await served?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should create a session, see its connections and destroy one', async () => {
    assert.deepEqual(await media.createSession('consult-a'), { created: true });
    assert.ok(rooms.rooms.has('consult-a'));
    assert.equal((await media.getSession('consult-a'))?.connections.numberOfElements, 0);
    assert.equal(await media.getSession('consult-unknown'), undefined);

    rooms.join('consult-a', 'con_doc', JSON.stringify({ role: 'provider' }));
    rooms.join('consult-a', 'con_pat', JSON.stringify({ role: 'patient' }));
    const session = await media.getSession('consult-a');
    const byId = Object.fromEntries(
      (session?.connections.content ?? []).map((c) => [c.connectionId, c.role]),
    );
    assert.deepEqual(byId, { con_doc: 'MODERATOR', con_pat: 'PUBLISHER' });
    assert.equal((await media.getConnection('consult-a', 'con_pat'))?.status, 'active');

    assert.equal(await media.destroyConnection('consult-a', 'con_pat'), true);
    assert.equal(await media.getConnection('consult-a', 'con_pat'), undefined);
    assert.equal(await media.destroyConnection('consult-a', 'con_pat'), false);
    assert.ok((await media.ping(2000)) >= 0);
  });

  it('should record, stop, describe and download (with a range) and delete the recording', async () => {
    rooms.join('consult-b', 'con_1');
    const started = await media.startRecording('consult-b');
    assert.match(started.id, /^EG_/);
    assert.equal(started.sessionId, 'consult-b');
    assert.equal(started.status, 'starting');

    let current = await media.getRecording(started.id);
    for (let deadline = Date.now() + 5000; current?.status !== 'started' && Date.now() < deadline;)
      current = await media.getRecording(started.id);
    assert.equal(current?.status, 'started');

    const stopped = await media.stopRecording(started.id);
    assert.equal(stopped.status, 'stopped');
    await waitFor(() => rooms.recordings[0]?.stopped === true, 'the recorder to stop');
    let ready = await media.getRecording(started.id);
    for (let deadline = Date.now() + 5000; ready?.status !== 'ready' && Date.now() < deadline;)
      ready = await media.getRecording(started.id);
    assert.equal(ready?.status, 'ready');
    assert.equal(ready?.size, 4096);
    assert.equal(ready?.duration, 2.5);
    assert.match(ready?.url ?? '', /^consult-b\/consult-b-\d{4}-\d\d-\d\dT\d{6}\.mp4$/);

    const file = await media.openRecordingFile(started.id, 'ignored.mp4', {});
    assert.equal(file.status, 200);
    assert.equal((await file.arrayBuffer()).byteLength, 4096);
    const part = await media.openRecordingFile(started.id, 'ignored.mp4', { Range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 10-19/4096');
    assert.equal((await part.arrayBuffer()).byteLength, 10);

    assert.equal(await media.deleteRecording(started.id), true);
    assert.equal((await media.openRecordingFile(started.id, 'ignored.mp4', {})).status, 404);
    assert.equal(await media.deleteRecording(started.id), false);
    assert.equal(await media.getRecording('EG_unknown0000'), undefined);
  });

  it('should refuse recording a room that does not exist (404), and close sessions', async () => {
    await assert.rejects(
      media.startRecording('consult-ghost'),
      (e: unknown) => e instanceof OpenViduHttpError && e.status === 404,
    );
    assert.equal(await media.closeSession('consult-a'), true);
    assert.equal(rooms.rooms.has('consult-a'), false);
    assert.equal(await media.closeSession('consult-a'), false);
  });

  it('should see a wrong API secret as a 401 from the server', async () => {
    const wrong = new LiveKitMediaServer({
      url: served.url,
      apiKey: KEY,
      apiSecret: 'not-the-secret-not-the-secret-not-the',
      tokenTtlSec: 600,
    });
    await assert.rejects(
      wrong.createSession('consult-c'),
      (e: unknown) => e instanceof OpenViduHttpError && e.status === 401,
    );
    assert.equal(rooms.rooms.has('consult-c'), false);
  });
});
