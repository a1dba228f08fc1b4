/**
 * Recording REST API and orchestration (status lifecycle, notifications, webhooks, files on disk) with
 * openvidu-node-client 2.32.2 and a fake media router; recording file downloads with Range.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Recording, RecordingMode } from 'openvidu-node-client';
import type { TestServer } from './test-support.js';
import {
  WebhookReceiver,
  api,
  closeAllClients,
  joinNew,
  publish,
  startTestServer,
  waitFor,
} from './test-support.js';

let t: TestServer;
let receiver: WebhookReceiver;

before(async () => {
  receiver = await new WebhookReceiver().start();
  t = await startTestServer({ webhook: { url: receiver.url, events: ['recordingStatusChanged'] } });
});
afterEach(async () => {
  await closeAllClients(t.server);
});
after(async () => {
  await t.close();
  await receiver.close();
});

async function rejectsWithStatus(p: Promise<unknown>, status: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof Error && err.message === String(status));
}

void describe('recording REST errors', () => {
  void it('answers 501 for every recording call when recording is disabled', async () => {
    const off = await startTestServer({ recording: false });
    try {
      await off.ov.createSession({ customSessionId: 'norec' });
      await rejectsWithStatus(off.ov.startRecording('norec'), 501);
      await rejectsWithStatus(off.ov.stopRecording('norec'), 501);
      await rejectsWithStatus(off.ov.getRecording('norec'), 501);
      await rejectsWithStatus(off.ov.listRecordings(), 501);
      await rejectsWithStatus(off.ov.deleteRecording('norec'), 501);
      const cfg = await api(off.server, 'GET', '/openvidu/api/config');
      assert.equal((cfg.json as Record<string, unknown>)['OPENVIDU_RECORDING'], false);
    } finally {
      await off.close();
    }
  });

  void it('400 without a session, 404 unknown session, 406 nobody connected, 409 already recording', async () => {
    assert.equal((await api(t.server, 'POST', '/openvidu/api/recordings/start')).status, 400);
    assert.equal(
      (await api(t.server, 'POST', '/openvidu/api/recordings/start', { name: 'x' })).status,
      400,
    );
    await rejectsWithStatus(t.ov.startRecording('ghost'), 404);
    await t.ov.createSession({ customSessionId: 'rec-err' });
    await rejectsWithStatus(t.ov.startRecording('rec-err'), 406);
    const a = await joinNew(t, 'rec-err');
    await publish(a.client);
    const rec = await t.ov.startRecording('rec-err');
    await rejectsWithStatus(t.ov.startRecording('rec-err'), 409);
    await t.ov.stopRecording(rec.id);
    await rejectsWithStatus(t.ov.stopRecording(rec.id), 409);
    await rejectsWithStatus(t.ov.stopRecording('nope'), 404);
    await rejectsWithStatus(t.ov.getRecording('nope'), 404);
    await rejectsWithStatus(t.ov.deleteRecording('nope'), 404);
  });

  void it('422 for unprocessable properties, 400 for invalid ones', async () => {
    await t.ov.createSession({ customSessionId: 'rec-422' });
    await joinNew(t, 'rec-422');
    await rejectsWithStatus(
      t.ov.startRecording('rec-422', { hasAudio: false, hasVideo: false }),
      422,
    );
    await rejectsWithStatus(t.ov.startRecording('rec-422', { resolution: '99x99' }), 422);
    await rejectsWithStatus(t.ov.startRecording('rec-422', { resolution: 'big' }), 422);
    await rejectsWithStatus(t.ov.startRecording('rec-422', { frameRate: 500 }), 422);
    const bad = (body: object) =>
      api(t.server, 'POST', '/openvidu/api/recordings/start', { session: 'rec-422', ...body });
    assert.equal((await bad({ name: '../evil' })).status, 400);
    assert.equal((await bad({ outputMode: 'SIDEWAYS' })).status, 400);
    assert.equal((await bad({ hasAudio: 'yes' })).status, 400);
    assert.equal((await bad({ shmSize: 1 })).status, 422);
  });

  void it('answers 500 (plain text) when the media router cannot start, and the session can retry', async () => {
    await t.ov.createSession({ customSessionId: 'rec-500' });
    const a = await joinNew(t, 'rec-500');
    await publish(a.client);
    t.router.failRecordingStart = true;
    try {
      const r = await api(t.server, 'POST', '/openvidu/api/recordings/start', {
        session: 'rec-500',
      });
      assert.equal(r.status, 500);
      assert.match(r.text, /Error starting recording/);
    } finally {
      t.router.failRecordingStart = false;
    }
    const rec = await t.ov.startRecording('rec-500');
    assert.equal(rec.id, 'rec-500~1', 'the failed attempt kept its id');
    await t.ov.stopRecording(rec.id);
  });
});

void describe('recording lifecycle', () => {
  void it('starts, notifies, stops, becomes ready, lists and deletes', async () => {
    await t.ov.createSession({ customSessionId: 'rec-life' });
    const pub = await joinNew(t, 'rec-life');
    const sub = await joinNew(t, 'rec-life', { role: 'SUBSCRIBER' });
    const streamId = await publish(pub.client);

    const rec = await t.ov.startRecording('rec-life', {
      name: 'consult_1',
      outputMode: Recording.OutputMode.COMPOSED,
    });
    assert.equal(rec.id, 'rec-life');
    assert.equal(rec.status, Recording.Status.started);
    assert.equal(rec.properties.name, 'consult_1');
    assert.equal(rec.sessionId, 'rec-life');
    assert.equal(rec.url, null);
    const fake = t.router.recordings.at(-1);
    assert.deepEqual(fake?.req.streamIds, [streamId]);
    assert.equal(fake?.req.dir, join(t.recordingsDir, 'rec-life'));
    assert.equal(fake?.req.resolution, '1280x720');
    assert.deepEqual(await pub.client.notification('recordingStarted'), {
      id: 'rec-life',
      name: 'consult_1',
    });
    const late = await joinNew(t, 'rec-life');
    assert.equal(late.join['recordingId'], 'rec-life');
    assert.equal(late.join['recordingName'], 'consult_1');
    const lateStream = await publish(late.client);
    assert.ok(fake?.streams.has(lateStream), 'streams published while recording are added');
    const session = await api(t.server, 'GET', '/openvidu/api/sessions/rec-life');
    assert.equal((session.json as Record<string, unknown>)['recording'], true);
    await rejectsWithStatus(t.ov.deleteRecording('rec-life'), 409);

    const stopped = await t.ov.stopRecording('rec-life');
    assert.equal(stopped.status, Recording.Status.stopped);
    assert.deepEqual(await pub.client.notification('recordingStopped'), {
      id: 'rec-life',
      name: 'consult_1',
      reason: 'recordingStoppedByServer',
    });
    assert.equal(
      sub.client.count('recordingStarted') + sub.client.count('recordingStopped'),
      0,
      'SUBSCRIBERs are not told',
    );
    await receiver.event(
      'recordingStatusChanged',
      (e) => e['id'] === 'rec-life' && e['status'] === 'ready',
    );
    const ready = await t.ov.getRecording('rec-life');
    assert.equal(ready.status, Recording.Status.ready);
    assert.equal(ready.size, 31);
    assert.equal(ready.duration, 1.5);
    assert.equal(ready.url, `${t.server.url}/openvidu/recordings/rec-life/consult_1.mp4`);
    const statuses = receiver
      .delivered()
      .filter((e) => e['id'] === 'rec-life')
      .map((e) => `${String(e['status'])}:${String(e['reason'] ?? '-')}`);
    assert.deepEqual(statuses, [
      'started:-',
      'stopped:recordingStoppedByServer',
      'ready:recordingStoppedByServer',
    ]);
    const hook = receiver.delivered().find((e) => e['id'] === 'rec-life') as Record<
      string,
      unknown
    >;
    for (const k of [
      'sessionId',
      'uniqueSessionId',
      'timestamp',
      'startTime',
      'name',
      'outputMode',
      'resolution',
      'frameRate',
      'recordingLayout',
      'hasAudio',
      'hasVideo',
      'size',
      'duration',
    ]) {
      assert.ok(k in hook, `recordingStatusChanged lacks ${k}`);
    }

    const second = await t.ov.startRecording('rec-life', {
      outputMode: Recording.OutputMode.INDIVIDUAL,
    });
    assert.equal(second.id, 'rec-life~1');
    await t.ov.stopRecording(second.id);
    await waitFor('individual ready', () =>
      existsSync(join(t.recordingsDir, 'rec-life~1', 'rec-life~1.zip')),
    );

    const list = await t.ov.listRecordings();
    assert.ok(list.some((r) => r.id === 'rec-life'));
    await t.ov.deleteRecording('rec-life');
    await rejectsWithStatus(t.ov.getRecording('rec-life'), 404);
    assert.ok(!existsSync(join(t.recordingsDir, 'rec-life')));
  });

  void it('marks a recording failed when composition fails', async () => {
    await t.ov.createSession({ customSessionId: 'rec-fail' });
    const a = await joinNew(t, 'rec-fail');
    await publish(a.client);
    await t.ov.startRecording('rec-fail');
    t.router.failRecordingStop = true;
    try {
      await t.ov.stopRecording('rec-fail');
      await receiver.event(
        'recordingStatusChanged',
        (e) => e['id'] === 'rec-fail' && e['status'] === 'failed',
      );
    } finally {
      t.router.failRecordingStop = false;
    }
    assert.equal((await t.ov.getRecording('rec-fail')).status, Recording.Status.failed);
  });

  void it('ends capture before answering the stop request (the file must not outlast the recorded time)', async () => {
    // Regression: capture used to be stopped only after the `stopped` state was written to disk, so on
    // a loaded machine a real COMPOSED mp4 lasted ~0.6 s longer than the time between start and stop.
    await t.ov.createSession({ customSessionId: 'rec-cut' });
    const a = await joinNew(t, 'rec-cut');
    await publish(a.client);
    const rec = await t.ov.startRecording('rec-cut');
    const fake = t.router.recordings.at(-1);
    assert.equal(fake?.stopped, false);
    const stopped = await t.ov.stopRecording(rec.id);
    assert.equal(stopped.status, Recording.Status.stopped);
    assert.equal(fake?.stopped, true, 'the media plane was told to stop within the stop request');
    await receiver.event(
      'recordingStatusChanged',
      (e) => e['id'] === 'rec-cut' && e['status'] === 'ready',
    );
  });

  void it('stops with automaticStop after the last participant leaves, then closes the session', async () => {
    await t.ov.createSession({ customSessionId: 'rec-auto' });
    const a = await joinNew(t, 'rec-auto');
    await publish(a.client);
    await t.ov.startRecording('rec-auto');
    await a.client.call('leaveRoom', {});
    assert.equal(
      (await api(t.server, 'GET', '/openvidu/api/sessions/rec-auto')).status,
      200,
      'kept while recording',
    );
    await receiver.event(
      'recordingStatusChanged',
      (e) => e['id'] === 'rec-auto' && e['status'] === 'stopped',
    );
    const stopped = receiver
      .delivered()
      .find((e) => e['id'] === 'rec-auto' && e['status'] === 'stopped');
    assert.equal(stopped?.['reason'], 'automaticStop');
    assert.equal((await api(t.server, 'GET', '/openvidu/api/sessions/rec-auto')).status, 404);
  });

  void it('stops with sessionClosedByServer when the session is deleted', async () => {
    await t.ov.createSession({ customSessionId: 'rec-del' });
    const a = await joinNew(t, 'rec-del');
    await publish(a.client);
    await t.ov.startRecording('rec-del');
    await api(t.server, 'DELETE', '/openvidu/api/sessions/rec-del');
    const r = await t.ov.getRecording('rec-del');
    assert.ok(r.status === Recording.Status.stopped || r.status === Recording.Status.ready);
    const stopped = await receiver.event(
      'recordingStatusChanged',
      (e) => e['id'] === 'rec-del' && e['status'] === 'stopped',
    );
    assert.equal(stopped['reason'], 'sessionClosedByServer');
  });

  void it('starts automatically on the first publish with recordingMode ALWAYS', async () => {
    await t.ov.createSession({
      customSessionId: 'rec-always',
      recordingMode: RecordingMode.ALWAYS,
    });
    const a = await joinNew(t, 'rec-always');
    await publish(a.client);
    await a.client.notification('recordingStarted');
    assert.equal((await t.ov.getRecording('rec-always')).status, Recording.Status.started);
    await t.ov.stopRecording('rec-always');
  });

  void it('remembers ready recordings across restarts (metadata file)', async () => {
    await t.ov.createSession({ customSessionId: 'rec-keep' });
    const a = await joinNew(t, 'rec-keep');
    await publish(a.client);
    await t.ov.startRecording('rec-keep');
    await t.ov.stopRecording('rec-keep');
    await receiver.event(
      'recordingStatusChanged',
      (e) => e['id'] === 'rec-keep' && e['status'] === 'ready',
    );
    const again = await startTestServer({ recordingsDir: t.recordingsDir });
    try {
      const r = await again.ov.getRecording('rec-keep');
      assert.equal(r.status, Recording.Status.ready);
      assert.equal(r.size, 31);
    } finally {
      await again.server.close();
    }
  });
});

void describe('recording downloads', () => {
  const body = Buffer.from('0123456789abcdefghij'); // 20 bytes
  before(async () => {
    await mkdir(join(t.recordingsDir, 'dl_1'), { recursive: true });
    await writeFile(join(t.recordingsDir, 'dl_1', 'dl_1.mp4'), body);
    await writeFile(join(t.recordingsDir, 'dl_1', 'dl_1.jpg'), body);
    await writeFile(join(t.recordingsDir, 'dl_1', '.recording.dl_1'), '{"secret":"meta"}');
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    api(t.server, 'GET', `/openvidu/recordings/${path}`, undefined, headers);

  void it('serves the whole file with Accept-Ranges and the right type', async () => {
    const r = await get('dl_1/dl_1.mp4');
    assert.equal(r.status, 200);
    assert.equal(r.text, body.toString());
    assert.equal(r.headers.get('content-type'), 'video/mp4');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(r.headers.get('content-length'), '20');
    assert.equal((await get('dl_1/dl_1.jpg')).headers.get('content-type'), 'image/jpeg');
  });

  void it('answers ranges with 206 and Content-Range', async () => {
    const cases: [string, string, string][] = [
      ['bytes=0-4', '01234', 'bytes 0-4/20'],
      ['bytes=10-', 'abcdefghij', 'bytes 10-19/20'],
      ['bytes=-3', 'hij', 'bytes 17-19/20'],
      ['bytes=18-100', 'ij', 'bytes 18-19/20'],
    ];
    for (const [range, text, contentRange] of cases) {
      const r = await get('dl_1/dl_1.mp4', { Range: range });
      assert.equal(r.status, 206, range);
      assert.equal(r.text, text, range);
      assert.equal(r.headers.get('content-range'), contentRange, range);
      assert.equal(r.headers.get('content-length'), String(text.length), range);
    }
  });

  void it('answers unsatisfiable ranges with 416 and bytes */size', async () => {
    for (const range of ['bytes=20-', 'bytes=50-60', 'bytes=5-2']) {
      const r = await get('dl_1/dl_1.mp4', { Range: range });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers.get('content-range'), 'bytes */20', range);
    }
    // Malformed or multi-range headers are ignored (full 200), as RFC 9110 allows.
    assert.equal((await get('dl_1/dl_1.mp4', { Range: 'bytes=0-1,3-4' })).status, 200);
  });

  void it('requires Basic auth and refuses traversal, hidden files and unknown files', async () => {
    assert.equal((await fetch(`${t.server.url}/openvidu/recordings/dl_1/dl_1.mp4`)).status, 401);
    for (const path of [
      'dl_1/.recording.dl_1',
      'dl_1/missing.mp4',
      '..%2F..%2Fetc/passwd',
      'dl_1/..%2F..%2Fpasswd',
      '%2E%2E/dl_1.mp4',
      'dl_1/dl_1.mp4%00.jpg',
    ]) {
      assert.equal((await get(path)).status, 404, path);
    }
  });

  void it('answers HEAD without a body', async () => {
    const r = await api(t.server, 'HEAD', '/openvidu/recordings/dl_1/dl_1.mp4');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), '20');
    assert.equal(r.text, '');
  });
});
