import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendStats } from './backend.js';
import { AudioOnlyAdvisor, classifyQuality, computeQuality, intervalMetrics } from './quality.js';
import { recordEvents, SESSION_EVENT_NAMES } from './testing/event-recorder.js';
import { createHarness } from './testing/harness.js';
import type { QualityLevel } from './types.js';

describe('quality classification', () => {
  const CASES: ReadonlyArray<
    [string, Parameters<typeof classifyQuality>[0], boolean, QualityLevel]
  > = [
    ['no data', {}, true, 'unknown'],
    ['all good', { roundTripMs: 50, packetLoss: 0, bitrateKbps: 1200 }, true, 'good'],
    ['fair RTT', { roundTripMs: 250, packetLoss: 0, bitrateKbps: 1200 }, true, 'fair'],
    ['poor RTT', { roundTripMs: 450 }, true, 'poor'],
    ['fair loss', { roundTripMs: 50, packetLoss: 0.05 }, true, 'fair'],
    ['poor loss', { roundTripMs: 50, packetLoss: 0.2 }, true, 'poor'],
    ['fair video bitrate', { roundTripMs: 50, packetLoss: 0, bitrateKbps: 200 }, true, 'fair'],
    ['poor video bitrate', { roundTripMs: 50, packetLoss: 0, bitrateKbps: 50 }, true, 'poor'],
    [
      'low bitrate is fine without video',
      { roundTripMs: 50, packetLoss: 0, bitrateKbps: 40 },
      false,
      'good',
    ],
  ];
  for (const [label, metrics, video, expected] of CASES) {
    it(`should classify ${label} as ${expected}`, () => {
      assert.equal(classifyQuality(metrics, video), expected);
    });
  }

  it('should compute interval loss and bitrate from cumulative stats', () => {
    const a: BackendStats = {
      packetsLost: 10,
      packetsReceived: 1000,
      packetsSent: 0,
      bytes: 0,
      timestamp: 0,
    };
    const b: BackendStats = {
      roundTripMs: 80,
      packetsLost: 20,
      packetsReceived: 1090,
      packetsSent: 0,
      bytes: 250_000,
      timestamp: 2000,
    };
    assert.deepEqual(intervalMetrics(a, b), {
      roundTripMs: 80,
      packetLoss: 0.1,
      bitrateKbps: 1000,
    });
    assert.equal(computeQuality(a, b, true).level, 'poor');
    assert.deepEqual(intervalMetrics(undefined, b), { roundTripMs: 80 });
  });

  it('should suggest audio-only after N poor samples in a row, once per streak', () => {
    const advisor = new AudioOnlyAdvisor(3);
    assert.deepEqual(
      ['poor', 'poor', 'poor', 'poor', 'good', 'poor', 'poor', 'poor'].map((q) =>
        advisor.observe(q as QualityLevel, []),
      ),
      [false, false, true, false, false, false, false, true],
    );
    const remote = new AudioOnlyAdvisor(2);
    assert.equal(remote.observe('good', ['poor', 'fair']), false);
    assert.equal(remote.observe('good', ['poor', 'poor']), false);
    assert.equal(remote.observe('good', ['poor', 'poor']), true);
  });
});

describe('quality monitoring in a session', () => {
  it('should poll stats every 2 s, set participant quality and suggest audio-only', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    let t = 0;
    let lost = 0;
    let sent = 0;
    const tick = async () => {
      t += 2000;
      lost += 30;
      sent += 100;
      h.backend.simulateStats('con_local', {
        roundTripMs: 500,
        packetsLost: lost,
        packetsReceived: 0,
        packetsSent: sent,
        bytes: t * 10,
        timestamp: t,
      });
      await h.clock.advance(2000);
    };
    for (let i = 0; i < 4; i++) await tick();
    const local = session.state.participants[0];
    assert.equal(local?.quality.level, 'poor');
    assert.equal(local?.quality.roundTripMs, 500);
    const { quality } = await events.waitFor('audioOnlySuggested');
    assert.equal(quality.level, 'poor');
    assert.equal(session.state.localMedia.audioOnlySuggested, true);
    await session.setAudioOnly(true);
    assert.equal(session.state.localMedia.audioOnlySuggested, false);
    await session.leave();
    assert.equal(h.clock.pendingTimers, 0);
  });
});
