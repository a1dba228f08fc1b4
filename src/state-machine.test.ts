import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONNECTION_TRANSITIONS,
  FINAL_CONNECTION_STATES,
  canTransition,
  transition,
} from './state-machine.js';
import type { ConnectionState } from './types.js';

const ALL: readonly ConnectionState[] = [
  'idle',
  'fetching-token',
  'waiting',
  'connecting',
  'connected',
  'reconnecting',
  'disconnected',
  'failed',
];

const ALLOWED: ReadonlyArray<readonly [ConnectionState, ConnectionState]> = [
  ['idle', 'fetching-token'],
  ['idle', 'disconnected'],
  ['idle', 'failed'],
  ['fetching-token', 'waiting'],
  ['fetching-token', 'connecting'],
  ['fetching-token', 'disconnected'],
  ['fetching-token', 'failed'],
  ['waiting', 'connecting'],
  ['waiting', 'disconnected'],
  ['waiting', 'failed'],
  ['connecting', 'connected'],
  ['connecting', 'disconnected'],
  ['connecting', 'failed'],
  ['connected', 'reconnecting'],
  ['connected', 'disconnected'],
  ['connected', 'failed'],
  ['reconnecting', 'connected'],
  ['reconnecting', 'disconnected'],
  ['reconnecting', 'failed'],
];

describe('connection state machine', () => {
  for (const [from, to] of ALLOWED) {
    it(`should allow ${from} → ${to}`, () => {
      assert.equal(canTransition(from, to), true);
      // Widened on purpose: the runtime guard is what is under test here.
      const next = transition(from as 'idle', to as 'failed', 'error');
      assert.deepEqual(next, { connection: to, reason: 'error' });
    });
  }

  it('should allow exactly the listed transitions', () => {
    const listed = new Set(ALLOWED.map(([f, t]) => `${f}>${t}`));
    for (const from of ALL) {
      for (const to of ALL) {
        assert.equal(canTransition(from, to), listed.has(`${from}>${to}`), `${from} → ${to}`);
      }
    }
  });

  const DISALLOWED: ReadonlyArray<readonly [ConnectionState, ConnectionState]> = [
    ['idle', 'connected'],
    ['idle', 'reconnecting'],
    ['fetching-token', 'connected'],
    ['waiting', 'connected'],
    ['connecting', 'reconnecting'],
    ['connected', 'connecting'],
    ['connected', 'idle'],
    ['disconnected', 'connecting'],
    ['failed', 'fetching-token'],
    ['failed', 'connected'],
  ];
  for (const [from, to] of DISALLOWED) {
    it(`should throw on ${from} → ${to} when the types are bypassed`, () => {
      assert.equal(canTransition(from, to), false);
      assert.throws(
        () => transition(from as 'idle', to as 'failed', 'error'),
        /Invalid connection transition/,
      );
    });
  }

  it('should make disconnected and failed final', () => {
    for (const state of FINAL_CONNECTION_STATES)
      assert.deepEqual(CONNECTION_TRANSITIONS[state], []);
  });

  it('should reject disallowed targets at the type level', () => {
    // @ts-expect-error idle cannot go straight to connected
    assert.throws(() => transition('idle', 'connected', 'media-connected'));
    // @ts-expect-error failed is final
    assert.throws(() => transition('failed', 'connecting', 'admitted'));
    assert.equal(
      transition('connected', 'reconnecting', 'network-lost').connection,
      'reconnecting',
    );
  });
});
