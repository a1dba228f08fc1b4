import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SerialQueue } from './serial.js';

describe('SerialQueue', () => {
  it('runs operations one after another in order; a failure reaches its caller only', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const first = queue.run(async () => {
      log.push('first start');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('first end');
      return 1;
    });
    const second = queue.run(async () => {
      log.push('second');
      throw new Error('second failed');
    });
    const third = queue.run(async () => {
      log.push('third');
      return 3;
    });
    await Promise.resolve();
    assert.deepEqual(log, ['first start']);
    release();
    assert.equal(await first, 1);
    await assert.rejects(second, /second failed/);
    assert.equal(await third, 3);
    assert.deepEqual(log, ['first start', 'first end', 'second', 'third']);
  });
});
