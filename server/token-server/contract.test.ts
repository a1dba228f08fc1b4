/**
 * The OpenAPI document enumerates the contract's tuples (src/contract.ts), so integrators on other
 * stacks see every error code and recording status the server may send.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_ERROR_CODES, SERVER_RECORDING_STATUSES } from '../../src/contract.js';
import { createTokenServer } from './app.js';
import type { Db } from './db.js';
import { silentLogger } from './logger.js';

/** A database that accepts the migrations and answers every query with no rows. */
const stubDb = {
  query: () => Promise.resolve({ rows: [] }),
  exec: () => Promise.resolve(),
  close: () => Promise.resolve(),
} as unknown as Db;

interface Schema {
  properties?: Record<string, Schema>;
  enum?: unknown[];
}

test('OpenAPI enumerates the error codes and recording statuses of the contract', async () => {
  const server = createTokenServer({ db: stubDb, demo: true, env: {}, logger: silentLogger });
  try {
    const res = await server.fetch(new Request('http://localhost/api/openapi.json'));
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { components: { schemas: Record<string, Schema> } };
    const { schemas } = doc.components;
    const code = schemas['Error']?.properties?.['error']?.properties?.['code'];
    assert.deepEqual(code?.enum, [...API_ERROR_CODES]);
    const status = schemas['RecordingInfo']?.properties?.['status'];
    assert.deepEqual(status?.enum, [...SERVER_RECORDING_STATUSES]);
  } finally {
    await server.close();
  }
});
