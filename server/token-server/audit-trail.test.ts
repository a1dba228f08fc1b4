/**
 * The audit trail's integrity: every recording download that serves bytes is audited, the hash
 * chain finds edited and deleted rows, and the FHIR R4 export has the shape an EHR files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEntry } from '../../src/contract.js';
import { MIGRATIONS, migrate, pgliteDb } from './db.js';
import { AuditRepository } from './repositories/audit.js';
import { AuditLog } from './services/audit-log.js';
import type { Stack } from './test-support.js';
import {
  auditEntriesOf,
  readyRecording as readyRecordingOf,
  doctor,
  startStack,
} from './test-support.js';

let s: Stack;
let dr: string;
before(async () => {
  s = await startStack({ heartbeatMs: 60_000, requireConsent: false, waitingRoom: false });
  dr = await doctor();
});
after(() => s.close());

const auditEntries = (consultId: string): Promise<AuditEntry[]> => auditEntriesOf(s, consultId, dr);

/** A consult with one `ready` recording; resolves with its id. */
const readyRecording = (consultId: string): Promise<string> => readyRecordingOf(s, consultId, dr);

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

interface Verification {
  ok: boolean;
  entries: number;
  head: { seq: number; hash: string } | null;
  purgedThrough: number;
  problems: { id: string; seq: number; problem: string }[];
}

async function verify(consultId: string): Promise<Verification> {
  const r = await s.call('GET', `/api/consults/${consultId}/audit/verify`, { token: dr });
  assert.equal(r.status, 200, r.text);
  return r.json as Verification;
}

/** A consult with a few audit entries (tokens of three providers). */
async function consultWithEntries(consultId: string, n = 3): Promise<AuditEntry[]> {
  for (let i = 0; i < n; i++) {
    const t = await s.call('POST', `/api/consults/${consultId}/token`, { token: dr, body: {} });
    assert.equal(t.status, 200, t.text);
  }
  return auditEntries(consultId);
}

const sql = (text: string, params: unknown[] = []) => s.ts.server.store().db.query(text, params);

describe('tamper-evident audit trail', () => {
  test('an untouched chain verifies; concurrent writes keep one chain', async () => {
    const id = 'chain-ok';
    await Promise.all(
      Array.from({ length: 6 }, () =>
        s.call('POST', `/api/consults/${id}/token`, { token: dr, body: {} }),
      ),
    );
    const v = await verify(id);
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.entries, 6);
    assert.equal(v.head?.seq, 6);
    assert.match(v.head?.hash ?? '', /^[0-9a-f]{64}$/);
  });

  test('two writers on one database (two instances) still build one chain', async () => {
    const db = s.ts.server.store().db;
    const a = new AuditLog(new AuditRepository(db));
    const b = new AuditLog(new AuditRepository(db));
    const actor = { id: 'dr-1', role: 'provider' as const };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).record('chain-two-writers', 'token.issued', actor, { details: { i } }),
      ),
    );
    const v = await a.verify('chain-two-writers');
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.entries, 20);
  });

  test("a new consultation's first entry is appended without reading the chain's head", async () => {
    const inner = s.ts.server.store().db;
    const heads: string[] = [];
    const db = {
      ...inner,
      query: <T>(text: string, params?: unknown[]) => {
        if (/^select seq, hash from audit/.test(text)) heads.push(String(params?.[0]));
        return inner.query<T>(text, params);
      },
    };
    const log = new AuditLog(new AuditRepository(db));
    const actor = { id: 'dr-1', role: 'provider' as const };
    log.consultCreated('chain-new-hinted');
    await log.record('chain-new-hinted', 'token.issued', actor);
    await log.record('chain-new-unhinted', 'token.issued', actor);
    assert.deepEqual(heads, ['chain-new-unhinted']);
    for (const id of ['chain-new-hinted', 'chain-new-unhinted']) {
      const v = await log.verify(id);
      assert.equal(v.ok, true, JSON.stringify(v.problems));
      assert.equal(v.head?.seq, 1);
    }
  });

  test('a wrong "new consultation" guess continues the chain, even where seq 1 is free', async () => {
    const id = 'chain-wrong-guess';
    const db = s.ts.server.store().db;
    const actor = { id: 'dr-1', role: 'provider' as const };
    const writer = new AuditLog(new AuditRepository(db));
    for (let i = 0; i < 3; i++) await writer.record(id, 'token.issued', actor);
    // A purged prefix: seq 1 is free, the chain goes on at 2 and 3.
    await sql('delete from audit where consult_id = $1 and seq = 1', [id]);
    const log = new AuditLog(new AuditRepository(db));
    log.consultCreated(id);
    await log.record(id, 'consult.ended', actor);
    const chain = await log.chain(id);
    assert.deepEqual(
      chain.map((r) => r.seq),
      [2, 3, 4],
    );
    assert.equal(chain[2]?.prevHash, chain[1]?.hash);
  });

  test('an edited row is reported', async () => {
    const id = 'chain-edit';
    const entries = await consultWithEntries(id);
    const target = entries[1] as AuditEntry;
    await sql(`update audit set details = '{"connectionId":"con_forged"}' where id = $1`, [
      target.id,
    ]);
    const v = await verify(id);
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems, [{ id: target.id, seq: 2, problem: 'edited' }]);
  });

  test('a deleted middle row is reported as a break', async () => {
    const id = 'chain-delete';
    const entries = await consultWithEntries(id);
    await sql('delete from audit where id = $1', [(entries[1] as AuditEntry).id]);
    const v = await verify(id);
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems, [
      { id: (entries[2] as AuditEntry).id, seq: 3, problem: 'missing-before' },
    ]);
  });

  test('verifyAuditReport (the CLI report) names the broken chain and the sound one', async () => {
    const entries = await consultWithEntries('chain-report');
    await consultWithEntries('chain-report-ok', 1);
    await sql('delete from audit where id = $1', [(entries[1] as AuditEntry).id]);
    const { verifyAuditReport } = await import('./audit-cli.js');
    const { text, ok } = await verifyAuditReport(s.ts.server.store().db, [
      'chain-report',
      'chain-report-ok',
    ]);
    assert.equal(ok, false);
    assert.match(text, /chain-report: BROKEN/);
    assert.match(text, /seq 3 .*missing-before/);
    assert.match(text, /chain-report-ok: ok/);
  });

  test('migration 2 chains the rows written before it; a later unsealed row is a finding', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create();
    const db = pgliteDb(pg);
    try {
      const first = MIGRATIONS[0];
      assert.ok(first);
      await db.exec(
        `create table schema_migrations (version integer primary key, applied_at timestamptz not null default now());
         ${first.sql}
         insert into schema_migrations (version) values (1);
         insert into audit (consult_id, action, actor_id, actor_role, details) values
           ('old', 'token.issued', 'dr-1', 'provider', '{"connectionId":"con_1"}'),
           ('other', 'token.issued', 'dr-2', 'provider', null),
           ('old', 'consult.ended', 'dr-1', 'provider', null);`,
      );
      await migrate(db);
      const log = new AuditLog(new AuditRepository(db));
      assert.equal(await log.sealLegacy(), 3);
      const old = await log.verify('old');
      assert.equal(old.ok, true, JSON.stringify(old.problems));
      assert.equal(old.head?.seq, 2);
      await log.record('old', 'consult.erased', { id: 'dr-1', role: 'provider' });
      assert.equal((await log.verify('old')).ok, true);
      await db.query(
        `insert into audit (consult_id, seq, action, actor_id) values ('old', 4, 'forged', 'x')`,
      );
      assert.equal(await log.sealLegacy(), 0);
      assert.deepEqual(
        (await log.verify('old')).problems.map((p) => [p.seq, p.problem]),
        [[4, 'unsealed']],
      );
    } finally {
      await db.close();
    }
  });

  test('npx consult-kit token-server verify-audit --data-dir: exit 0 when sound, 1 with the break', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openPgliteDb } = await import('./db.js');
    const { runTokenServerCli } = await import('./cli.js');
    const dir = await mkdtemp(join(tmpdir(), 'ck-verify-'));
    try {
      const db = await openPgliteDb({ dataDir: dir });
      const log = new AuditLog(new AuditRepository(db));
      for (const action of ['token.issued', 'lobby.admitted', 'consult.ended'])
        await log.record('cli-1', action, { id: 'dr-1', role: 'provider' });
      await db.close();
      const run = async (argv: string[]) => {
        let out = '';
        const code = await runTokenServerCli(argv, {
          out: (t) => void (out += t),
          err: (t) => void (out += t),
          env: {},
        });
        return { code, out };
      };
      assert.equal((await run(['verify-audit'])).code, 2);
      const sound = await run(['verify-audit', '--data-dir', dir]);
      assert.equal(sound.code, 0, sound.out);
      assert.match(sound.out, /^cli-1: ok, 3 entries; head seq 3 [0-9a-f]{64}$/m);
      const db2 = await openPgliteDb({ dataDir: dir });
      await db2.query(`update audit set actor_id = 'someone-else' where seq = 2`);
      await db2.close();
      const broken = await run(['verify-audit', '--data-dir', dir, '--consult', 'cli-1']);
      assert.equal(broken.code, 1);
      assert.match(broken.out, /cli-1: BROKEN/);
      assert.match(broken.out, /seq 2 \(id \d+\): edited/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('only providers may verify', async () => {
    const { patient } = await import('./test-support.js');
    const r = await s.call('GET', '/api/consults/chain-ok/audit/verify', {
      token: await patient(9),
    });
    assert.equal(r.status, 403);
  });
});

describe('FHIR R4 export', () => {
  const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  type R = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  function checkCoding(c: R | undefined, where: string): void {
    assert.ok(c, `${where}: coding`);
    assert.equal(typeof c['system'], 'string', `${where}.system`);
    assert.equal(typeof c['code'], 'string', `${where}.code`);
  }

  function checkAuditEvent(a: R): void {
    checkCoding(a['type'], 'AuditEvent.type');
    for (const st of a['subtype'] ?? []) checkCoding(st, 'AuditEvent.subtype');
    assert.ok(['C', 'R', 'U', 'D', 'E'].includes(a['action']), `action ${a['action']}`);
    assert.match(a['recorded'], INSTANT);
    assert.ok(['0', '4', '8', '12'].includes(a['outcome']));
    assert.ok(Array.isArray(a['agent']) && a['agent'].length >= 1, 'agent 1..*');
    for (const ag of a['agent']) {
      assert.equal(typeof ag.requestor, 'boolean', 'agent.requestor 1..1');
      assert.ok(ag.who, 'agent.who');
      if (ag.network) assert.ok(['1', '2', '3', '4', '5'].includes(ag.network.type));
    }
    assert.ok(a['source']?.observer, 'source.observer 1..1');
    for (const e of a['entity'] ?? []) {
      assert.ok(e.what, 'entity.what');
      if (e.type) checkCoding(e.type, 'entity.type');
      for (const d of e.detail ?? []) {
        assert.equal(typeof d.type, 'string');
        assert.equal(typeof d.valueString, 'string');
      }
    }
  }

  function checkConsent(c: R): void {
    assert.ok(
      ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'].includes(
        c['status'],
      ),
    );
    const scope = c['scope']?.coding?.[0];
    checkCoding(scope, 'Consent.scope');
    assert.equal(scope.system, 'http://terminology.hl7.org/CodeSystem/consentscope');
    assert.ok(['adr', 'research', 'patient-privacy', 'treatment'].includes(scope.code));
    assert.ok(c['category']?.length >= 1, 'category 1..*');
    assert.ok(c['patient'], 'ppc-2: patient-privacy needs a patient');
    assert.ok(c['policy']?.length || c['policyRule'], 'ppc-1: policy or policyRule');
    if (c['dateTime']) assert.match(c['dateTime'], INSTANT);
    if (c['provision']?.type) assert.ok(['permit', 'deny'].includes(c['provision'].type));
  }

  test('the audit trail and the consents as a Bundle (collection) of AuditEvent and Consent', async () => {
    const id = 'fhir-1';
    await consultWithEntries(id, 1);
    const { patient } = await import('./test-support.js');
    for (const [n, granted] of [
      [31, true],
      [32, false],
    ] as const) {
      const p = await patient(n);
      const t = await s.call('POST', `/api/consults/${id}/token`, { token: p, body: {} });
      assert.equal(t.status, 200, t.text);
      const c = await s.call('POST', `/api/consults/${id}/recording-consent`, {
        token: p,
        body: { granted },
      });
      assert.equal(c.status, 200, c.text);
    }
    const r = await s.call('GET', `/api/consults/${id}/audit/fhir`, { token: dr });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    const bundle = r.json as R;
    assert.equal(bundle['resourceType'], 'Bundle');
    assert.equal(bundle['type'], 'collection');
    assert.match(bundle['timestamp'], INSTANT);
    const resources = (bundle['entry'] as R[]).map((e) => {
      assert.match(
        e['fullUrl'],
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      return e['resource'] as R;
    });
    const events = resources.filter((x) => x['resourceType'] === 'AuditEvent');
    const consents = resources.filter((x) => x['resourceType'] === 'Consent');
    assert.equal(resources.length, events.length + consents.length);
    assert.equal(events.length, (await auditEntries(id)).length);
    events.forEach(checkAuditEvent);
    consents.forEach(checkConsent);
    const subtypes = events.map(
      (e) =>
        (e['subtype'] as R[]).find((c) => c['system'] === 'urn:consult-kit:audit-action')?.['code'],
    );
    assert.deepEqual(
      subtypes,
      (await auditEntries(id)).map((e) => e.action),
    );
    const byPerformer = (user: string) =>
      consents.find((c) => c['performer'][0].identifier.value === user) as R;
    assert.equal(byPerformer('pat-31')['status'], 'active');
    assert.equal(byPerformer('pat-31')['provision'].type, 'permit');
    assert.equal(byPerformer('pat-32')['status'], 'rejected');
    assert.equal(byPerformer('pat-32')['provision'].type, 'deny');
    assert.equal(byPerformer('pat-32')['patient'].identifier.value, 'pat-32');
    const consentGiven = events.find((e) =>
      (e['subtype'] as R[]).some((c) => c['code'] === 'consent.given'),
    ) as R;
    assert.equal(consentGiven['agent'][0].who.identifier.value, 'pat-31');
    assert.equal(consentGiven['agent'][0].requestor, true);
  });
});
