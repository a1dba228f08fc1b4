/**
 * The audit trail's integrity: every recording download that serves bytes is audited, the hash
 * chain finds edited and deleted rows, and the FHIR R4 export has the shape an EHR files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEntry, RecordingInfo } from '../../src/contract.js';
import type { Stack } from './test-support.js';
import { asToken, doctor, joinWith, startStack, waitFor } from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  s = await startStack({ heartbeatMs: 60_000, requireConsent: false });
  dr = await doctor();
});
after(() => s.close());

async function auditEntries(consultId: string): Promise<AuditEntry[]> {
  const r = await s.call('GET', `/api/consults/${consultId}/audit`, { token: dr });
  assert.equal(r.status, 200, r.text);
  return (r.json as { entries: AuditEntry[] }).entries;
}

/** A consult with one `ready` recording; resolves with its id. */
async function readyRecording(consultId: string): Promise<string> {
  const t = await s.call('POST', `/api/consults/${consultId}/token`, { token: dr, body: {} });
  assert.equal(t.status, 200, t.text);
  const client = await joinWith(s, asToken(t.json));
  await waitFor('joined', async () =>
    (await auditEntries(consultId)).some((e) => e.action === 'participant.joined'),
  );
  const start = await s.call('POST', `/api/consults/${consultId}/recordings`, {
    token: dr,
    body: {},
  });
  assert.equal(start.status, 201, start.text);
  const { recordingId } = start.json as RecordingInfo;
  const stop = await s.call('POST', `/api/consults/${consultId}/recordings/${recordingId}/stop`, {
    token: dr,
    body: {},
  });
  assert.equal(stop.status, 200, stop.text);
  await waitFor('ready', async () => {
    const r = await s.call('GET', `/api/consults/${consultId}/recordings/${recordingId}`, {
      token: dr,
    });
    return (r.json as RecordingInfo).status === 'ready';
  });
  client.close();
  return recordingId;
}

describe('recording downloads', () => {
  // The fake recording is 31 bytes ('fake recording bytes 0123456789').
  const cases: { range: string | undefined; status: number; audited: boolean }[] = [
    { range: undefined, status: 200, audited: true },
    { range: 'bytes=0-', status: 206, audited: true },
    { range: 'bytes=00-', status: 206, audited: true },
    { range: 'bytes=0000-', status: 206, audited: true },
    { range: 'bytes=-100000', status: 206, audited: true },
    { range: 'bytes=5-13', status: 206, audited: true },
    { range: 'bytes=9999-', status: 416, audited: false },
  ];

  test('every answer that serves bytes is audited, with the range served', async () => {
    const id = 'dl-audit-1';
    const recordingId = await readyRecording(id);
    const served: { range: string | undefined; status: number; contentRange: string | null }[] = [];
    for (const c of cases) {
      const before = (await auditEntries(id)).filter((e) => e.action === 'recording.downloaded');
      const res = await fetch(`${s.ts.url}/api/consults/${id}/recordings/${recordingId}/download`, {
        headers: { Authorization: `Bearer ${dr}`, ...(c.range ? { Range: c.range } : {}) },
      });
      assert.equal(res.status, c.status, `status for ${String(c.range)}`);
      await res.arrayBuffer();
      const after = (await auditEntries(id)).filter((e) => e.action === 'recording.downloaded');
      assert.equal(after.length - before.length, c.audited ? 1 : 0, `audit for ${String(c.range)}`);
      if (c.audited)
        served.push({
          range: c.range,
          status: c.status,
          contentRange: res.headers.get('content-range'),
        });
    }
    const downloads = (await auditEntries(id)).filter((e) => e.action === 'recording.downloaded');
    assert.deepEqual(
      downloads.map((e) => e.details),
      served.map((x) => ({
        recordingId,
        status: x.status,
        ...(x.range ? { range: x.range } : {}),
        ...(x.contentRange ? { contentRange: x.contentRange } : {}),
      })),
    );
  });
});
