/**
 * PGlite's prepared-statement path (`pglite-statements.ts`, used by `pgliteDb`): the same rows as
 * `PGlite#query()` for every parameter type the repositories pass, one prepared statement per SQL
 * text, and recovery from a failed parse, a failed bind and a table that changed shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import type { Db } from './db.js';
import { pgliteDb } from './db.js';

let pg: PGlite;
let db: Db;
before(async () => {
  const { PGlite: PGliteClass } = await import('@electric-sql/pglite');
  pg = await PGliteClass.create();
  db = pgliteDb(pg);
  await db.exec(
    `create table t (id text primary key, n bigint, ok boolean, at timestamptz, data jsonb, tags text[]);`,
  );
});
after(() => db.close());

const preparedNames = async (): Promise<string[]> =>
  (
    await pg.query<{ name: string }>('select name from pg_prepared_statements order by name')
  ).rows.map((r) => r.name);

describe('pgliteDb prepared statements', () => {
  const cases: { name: string; params: unknown[] }[] = [
    { name: 'text, number, boolean', params: ['a', 42, true] },
    { name: 'nulls', params: ['b', null, null] },
    { name: 'a bigint past 2^31', params: ['c', 2 ** 40, false] },
  ];
  for (const c of cases) {
    test(`inserts and reads back what query() does: ${c.name}`, async () => {
      const insert = 'insert into t (id, n, ok) values ($1, $2, $3) returning id, n, ok';
      const select = 'select id, n, ok from t where id = $1';
      const mine = await db.query(insert, c.params);
      const theirs = await pg.query(select, [c.params[0]]);
      assert.deepEqual(mine.rows, theirs.rows);
      assert.deepEqual((await db.query(select, [c.params[0]])).rows, theirs.rows);
    });
  }

  test('dates, JSON (object or text) and arrays are serialized as query() serializes them', async () => {
    const at = new Date('2026-12-02T10:00:00.000Z');
    const sql =
      'insert into t (id, at, data, tags) values ($1, $2, $3, $4) returning at, data, tags';
    const viaObject = await db.query(sql, ['d1', at, { a: [1, 'x'] }, ['p', 'q "r"', null]]);
    const viaText = await db.query(sql, ['d2', at.toISOString(), '{"a":[1,"x"]}', ['p']]);
    const expected = await pg.query(sql, ['d3', at, { a: [1, 'x'] }, ['p', 'q "r"', null]]);
    assert.deepEqual(viaObject.rows, expected.rows);
    assert.deepEqual(viaText.rows[0], {
      ...(expected.rows[0] as Record<string, unknown>),
      tags: ['p'],
    });
    const any = await db.query<{ id: string }>(
      'select id from t where id = any($1::text[]) order by id',
      [['d1', 'd3', 'none']],
    );
    assert.deepEqual(
      any.rows.map((r) => r.id),
      ['d1', 'd3'],
    );
  });

  test('a statement is prepared once, whatever its parameters', async () => {
    const sql = 'select count(*)::int as c from t where id <> $1';
    const before = await preparedNames();
    for (const id of ['x', 'y', 'z']) await db.query(sql, [id]);
    const added = (await preparedNames()).filter((n) => !before.includes(n));
    assert.equal(added.length, 1);
  });

  test('a failed parse prepares nothing; a failed bind leaves the statement usable', async () => {
    await assert.rejects(db.query('select nonsense from nowhere where id = $1', ['a']), /nowhere/);
    const sql = 'select id from t where n = $1';
    await assert.rejects(db.query(sql, ['not a number']), /invalid input syntax/);
    assert.deepEqual((await db.query(sql, [42])).rows, [{ id: 'a' }]);
  });

  test('a table that changed shape under a prepared select * still answers, with the new column', async () => {
    const sql = 'select * from t where id = $1';
    assert.equal('extra' in ((await db.query(sql, ['a'])).rows[0] ?? {}), false);
    await db.exec('alter table t add column extra text default $$e$$;');
    assert.equal((await db.query<{ extra: string }>(sql, ['a'])).rows[0]?.extra, 'e');
    assert.equal((await db.query<{ extra: string }>(sql, ['a'])).rows[0]?.extra, 'e');
  });
});
