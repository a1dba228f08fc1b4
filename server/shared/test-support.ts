/**
 * Test helpers shared by the token server's and the dev media server's tests (each server's own
 * `test-support.ts` re-exports what it uses from here).
 */
import assert from 'node:assert/strict';

/**
 * Polls `predicate` until it holds (no fixed sleeps); fails after `timeoutMs` with `what` in the
 * message.
 */
export async function waitFor(
  what: string | (() => string),
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      const label = typeof what === 'string' ? what : what();
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${label}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
