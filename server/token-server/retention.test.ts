/**
 * Retention (the purge of old messages, events, audit entries and recordings) and erasure
 * (`DELETE /api/consults/{consultId}`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEntry, RecordingInfo, StoredChatMessage } from '../../src/contract.js';
import { createTokenServer } from './app.js';
import { runTokenServerCli } from './cli.js';
import { silentLogger } from './logger.js';
import { resolveRetention } from './services/retention.js';
import type { Stack } from './test-support.js';
import {
  auditEntriesOf,
  readyRecording as readyRecordingOf,
  OV_SECRET,
  doctor,
  patient,
  startStack,
  waitFor,
} from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  s = await startStack({
    heartbeatMs: 60_000,
    requireConsent: false,
    waitingRoom: false,
    // No scheduled purge: the tests call purge() themselves, and a scheduled run 30 s after start
    // (on a loaded machine, before these tests get there) would purge the rows they set up.
    retention: {
      messagesDays: 30,
      eventsDays: 1,
      auditDays: 365,
      recordingsDays: 90,
      intervalMs: 0,
    },
  });
  dr = await doctor();
});
after(() => s.close());

const sql = (text: string, params: unknown[] = []) => s.ts.server.store().db.query(text, params);
const ovAuth = {
  Authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')}`,
};

const auditEntries = (consultId: string): Promise<AuditEntry[]> => auditEntriesOf(s, consultId, dr);

async function verify(consultId: string) {
  const r = await s.call('GET', `/api/consults/${consultId}/audit/verify`, { token: dr });
  assert.equal(r.status, 200, r.text);
  return r.json as { ok: boolean; entries: number; purgedThrough: number; problems: unknown[] };
}

async function message(consultId: string, id: string): Promise<void> {
  const m: StoredChatMessage = {
    id,
    consultId,
    connectionId: 'con_x',
    senderId: 'dr-1',
    senderName: 'Dr. One',
    senderRole: 'provider',
    text: `text ${id}`,
    sentAt: new Date().toISOString(),
  };
  assert.ok(await s.ts.server.store().insertMessage(m));
}

/** A consult with one `ready` recording; resolves with its id. */
const readyRecording = (consultId: string): Promise<string> => readyRecordingOf(s, consultId, dr);

const ovRecording = (id: string) =>
  fetch(`${s.ov.server.url}/openvidu/api/recordings/${id}`, { headers: ovAuth });

describe('retention purge', () => {
  test('deletes messages, events, recordings (through OpenVidu) and audit entries past their days', async () => {
    const id = 'ret-1';
    const recordingId = await readyRecording(id);
    // readyRecording closes the participant's socket; its participantLeft webhook comes after the
    // dev media server's reconnection window, so wait for it before taking the "before" snapshot.
    await waitFor('participant.left', async () =>
      (await auditEntries(id)).some((e) => e.action === 'participant.left'),
    );
    await message(id, 'old');
    await message(id, 'new');
    await sql(
      `update messages set stored_at = now() - interval '31 days' where consult_id = $1 and id = 'old'`,
      [id],
    );
    const { rows: events } = await sql('select id from events where consult_id = $1 order by id', [
      id,
    ]);
    assert.ok(events.length >= 2);
    const oldEvent = events[0]?.['id'];
    await sql(`update events set created_at = now() - interval '2 days' where id = $1`, [oldEvent]);
    await sql(
      `update recordings set stopped_at = now() - interval '91 days' where recording_id = $1`,
      [recordingId],
    );
    const before = await auditEntries(id);
    // The first two audit entries are past the audit retention.
    await sql(
      `update audit set at = now() - interval '400 days' where consult_id = $1 and seq <= 2`,
      [id],
    );

    const report = await s.ts.server.purge();
    assert.equal(report.messages, 1);
    assert.equal(report.events, 1);
    assert.equal(report.recordings, 1);
    assert.equal(report.audit, 2);

    const msgs = await s.call('GET', `/api/consults/${id}/messages`, { token: dr });
    assert.deepEqual(
      (msgs.json as { messages: StoredChatMessage[] }).messages.map((m) => m.id),
      ['new'],
    );
    const { rows: left } = await sql('select id from events where id = $1', [oldEvent]);
    assert.equal(left.length, 0);
    assert.equal((await ovRecording(recordingId)).status, 404);
    const rec = await s.call('GET', `/api/consults/${id}/recordings/${recordingId}`, { token: dr });
    assert.equal((rec.json as RecordingInfo).status, 'deleted');

    const after = await auditEntries(id);
    assert.deepEqual(
      after.slice(0, before.length - 2).map((e) => e.id),
      before.slice(2).map((e) => e.id),
    );
    const tail = after.slice(before.length - 2).map((e) => [e.action, e.details?.['reason']]);
    assert.deepEqual(tail, [
      ['recording.deleted', 'retention'],
      ['audit.purged', undefined],
    ]);
    const v = await verify(id);
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.purgedThrough, 2);

    // Nothing left to purge: a second run deletes nothing and appends nothing.
    assert.deepEqual(await s.ts.server.purge(), {
      messages: 0,
      events: 0,
      audit: 0,
      recordings: 0,
    });
    assert.equal((await auditEntries(id)).length, after.length);
  });

  test('a consultation whose audit entries are all past retention loses them all', async () => {
    const id = 'ret-2';
    await s.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} });
    await sql(`update audit set at = now() - interval '400 days' where consult_id = $1`, [id]);
    await s.ts.server.purge();
    assert.deepEqual(await auditEntries(id), []);
    const v = await verify(id);
    assert.equal(v.ok, true);
    assert.equal(v.entries, 0);
  });

  test('retention.intervalMs 0 schedules no purge (purge() only); other values under 1 s fail', () => {
    assert.equal(resolveRetention({ intervalMs: 0 }, {}).intervalMs, 0);
    assert.throws(() => resolveRetention({ intervalMs: 500 }, {}), /intervalMs must be 0/);
  });

  test('bad retention settings fail at start, naming the variable and the flag', async () => {
    assert.throws(
      () =>
        createTokenServer({
          env: { RETENTION_AUDIT_DAYS: 'six years' },
          demo: true,
          logger: silentLogger,
        }),
      /RETENTION_AUDIT_DAYS \(--retention-audit-days/,
    );
    let err = '';
    const code = await runTokenServerCli(['--port', '0', '--retention-events-days', 'soon'], {
      out: () => undefined,
      err: (t) => void (err += t),
      env: { CONSULT_KIT_DEMO: '1' },
    });
    assert.equal(code, 1);
    assert.match(err, /RETENTION_EVENTS_DAYS \(--retention-events-days/);
  });
});

describe('erasure: DELETE /api/consults/{consultId}', () => {
  test('erases chat, events, recordings (through OpenVidu) and participants; keeps an audited tombstone', async () => {
    const id = 'erase-1';
    const recordingId = await readyRecording(id);
    const pat = await patient(41);
    assert.equal(
      (await s.call('POST', `/api/consults/${id}/token`, { token: pat, body: {} })).status,
      200,
    );
    await message(id, 'm1');

    const denied = await s.call('DELETE', `/api/consults/${id}`, { token: pat });
    assert.equal(denied.status, 403);
    const r = await s.call('DELETE', `/api/consults/${id}`, { token: dr });
    assert.equal(r.status, 200, r.text);
    const counts = r.json as Record<string, unknown>;
    assert.equal(counts['erased'], true);
    assert.equal(counts['messages'], 1);
    assert.equal(counts['recordings'], 1);
    assert.equal(counts['participants'], 2);

    assert.equal((await ovRecording(recordingId)).status, 404);
    for (const table of [
      'messages',
      'events',
      'recordings',
      'lobby',
      'consents',
      'connections',
      'participants',
    ]) {
      const { rows } = await sql(`select count(*)::int as n from ${table} where consult_id = $1`, [
        id,
      ]);
      assert.equal(rows[0]?.['n'], 0, table);
    }
    const { rows: consult } = await sql('select ended_at, erased_at from consults where id = $1', [
      id,
    ]);
    assert.ok(
      consult[0]?.['ended_at'] && consult[0]['erased_at'],
      'the consult row stays, ended and erased',
    );
    const list = await s.call('GET', `/api/consults/${id}/recordings`, { token: dr });
    assert.deepEqual((list.json as { recordings: unknown[] }).recordings, []);

    const entries = await auditEntries(id);
    const last = entries.at(-1) as AuditEntry;
    assert.equal(last.action, 'consult.erased');
    assert.equal(last.actorId, 'dr-1');
    assert.deepEqual(last.details, {
      messages: 1,
      events: counts['events'],
      recordings: 1,
      participants: 2,
    });
    assert.ok(entries.some((e) => e.action === 'consult.ended'));
    assert.equal((await verify(id)).ok, true);

    // It answers like an ended consultation from now on; erasing again is harmless.
    const again = await s.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} });
    assert.ok([409, 410].includes(again.status), again.text);
    const second = await s.call('DELETE', `/api/consults/${id}`, { token: dr });
    assert.equal(second.status, 200);
    assert.equal((second.json as Record<string, unknown>)['messages'], 0);
  });

  test('404 for an unknown consultation', async () => {
    const r = await s.call('DELETE', '/api/consults/never-existed', { token: dr });
    assert.equal(r.status, 404);
    assert.equal((r.json as { error: { code: string } }).error.code, 'consult-not-found');
  });
});
