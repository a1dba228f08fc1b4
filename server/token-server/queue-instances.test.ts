/**
 * The providers' queue across token-server instances on one PostgreSQL: a patient who starts
 * waiting through instance A shows in a queue stream open on instance B (LISTEN/NOTIFY), and an
 * admission through A takes them out of it. Skipped on PGlite like multi-instance.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LobbyEntry } from '../../src/contract.js';
import type { Deployment, Instance } from './test-deployment.js';
import { deploy, skip } from './test-deployment.js';
import { SseReader, doctor, patient } from './test-support.js';

if (skip) test('the provider queue across instances', { skip }, () => undefined);

describe('the provider queue across instances', { skip }, () => {
  let d: Deployment;
  let a: Instance;
  let b: Instance;
  let dr: string;
  before(async () => {
    d = await deploy(2);
    [a, b] = d.instances as [Instance, Instance];
    dr = await doctor();
  });
  after(() => d?.close());

  test('a patient waiting through A reaches the queue stream on B within a second; admitted through A, they leave it', async () => {
    const stream = await SseReader.open(`${b.ts.url}/api/queue/events`, {
      Authorization: `Bearer ${dr}`,
    });
    await stream.next('queue');
    const started = Date.now();
    assert.equal(
      (await a.call('POST', '/api/consults/qi-1/token', await patient(1), {})).status,
      202,
    );
    await stream.next(
      'queue-consult',
      (x: { consultId: string; waiting: LobbyEntry[] }) =>
        x.consultId === 'qi-1' && x.waiting.length === 1,
      1000,
    );
    assert.ok(Date.now() - started < 1000);
    const admit = await a.call('POST', '/api/consults/qi-1/lobby/pat-1/admit', dr, {});
    assert.equal(admit.status, 200, admit.text);
    await stream.next(
      'queue-consult',
      (x: { consultId: string; waiting: LobbyEntry[] }) =>
        x.consultId === 'qi-1' && x.waiting.length === 0,
    );
    stream.close();
  });
});
