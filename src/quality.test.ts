import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendStats } from './backend.js';
import {
  AudioOnlyAdvisor,
  classifyQuality,
  computeQuality,
  intervalMetrics,
  isSevere,
  QualityTracker,
} from './quality.js';
import { recordEvents, SESSION_EVENT_NAMES } from './testing/event-recorder.js';
import { flushMicrotasks } from './testing/fake-clock.js';
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
    // A low bitrate is an encoder with little to encode, not a bad network.
    ['low video bitrate', { roundTripMs: 50, packetLoss: 0, bitrateKbps: 200 }, true, 'good'],
    ['very low video bitrate', { roundTripMs: 50, packetLoss: 0, bitrateKbps: 50 }, true, 'good'],
    ['bitrate alone', { bitrateKbps: 50 }, true, 'unknown'],
    ['fair jitter', { roundTripMs: 20, jitterMs: 60 }, true, 'fair'],
    ['poor jitter', { roundTripMs: 20, jitterMs: 120 }, true, 'poor'],
    ['jitter alone', { jitterMs: 10 }, true, 'good'],
    ['bandwidth limited', { roundTripMs: 20, packetLoss: 0, bandwidthLimited: true }, true, 'fair'],
    ['not bandwidth limited', { roundTripMs: 20, bandwidthLimited: false }, true, 'good'],
    ['bandwidth limited and lossy', { packetLoss: 0.12, bandwidthLimited: true }, true, 'poor'],
    ['some freezing', { roundTripMs: 20, freezeShare: 0.15 }, true, 'fair'],
    ['much freezing', { roundTripMs: 20, freezeShare: 0.4 }, true, 'poor'],
    ['freezes without expected video', { roundTripMs: 20, freezeShare: 0.4 }, false, 'good'],
    ['freezes alone, no video expected', { freezeShare: 0.4 }, false, 'unknown'],
    // Firefox reports no limitation reason, available bitrate or freezes: missing is not bad.
    ['Firefox-like sample', { roundTripMs: 30, packetLoss: 0, jitterMs: 5 }, true, 'good'],
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

  const SEVERE: ReadonlyArray<[string, Parameters<typeof isSevere>[0], boolean]> = [
    ['20 % loss', { packetLoss: 0.2 }, true],
    ['12 % loss', { packetLoss: 0.12 }, false],
    ['half the interval frozen', { freezeShare: 0.5 }, true],
    ['a second of RTT', { roundTripMs: 1000 }, false],
    ['nothing', {}, false],
  ];
  for (const [label, metrics, expected] of SEVERE) {
    it(`should ${expected ? '' : 'not '}take ${label} as severe`, () => {
      assert.equal(isSevere(metrics), expected);
    });
  }

  it('should derive jitter, bandwidth limitation and freezes from cumulative stats', () => {
    const base = { packetsLost: 0, packetsReceived: 100, packetsSent: 0, bytes: 0 };
    const a: BackendStats = { ...base, timestamp: 0, freezeCount: 1, totalFreezesMs: 300 };
    const b: BackendStats = {
      ...base,
      packetsReceived: 200,
      timestamp: 2000,
      jitterMs: 12,
      freezeCount: 3,
      totalFreezesMs: 900,
    };
    assert.deepEqual(intervalMetrics(a, b), {
      jitterMs: 12,
      packetLoss: 0,
      bitrateKbps: 0,
      freezeCount: 2,
      freezeShare: 0.3,
    });
    const send = { ...base, timestamp: 0 };
    const limited = (reason: string, available: number, target: number) =>
      intervalMetrics(undefined, {
        ...send,
        qualityLimitationReason: reason,
        availableOutgoingKbps: available,
        targetKbps: target,
      }).bandwidthLimited;
    // Ramp-up or an encoder with headroom: the estimate covers what the encoders aim for.
    assert.equal(limited('bandwidth', 300, 150), false);
    assert.equal(limited('bandwidth', 200, 450), true);
    assert.equal(limited('cpu', 200, 450), false);
    // Firefox: no limitation reason at all — unknown, not limited.
    assert.equal('bandwidthLimited' in intervalMetrics(undefined, send), false);
  });

  it('should average the round trips measured within the interval', () => {
    const base = { packetsLost: 0, packetsReceived: 0, packetsSent: 0, bytes: 0 };
    const a: BackendStats = { ...base, timestamp: 0, rttTotalSeconds: 4, rttResponses: 10 };
    // One slow check long ago left currentRoundTripTime at 900 ms; this interval's checks took 20 ms.
    const b: BackendStats = {
      ...base,
      timestamp: 2000,
      roundTripMs: 900,
      rttTotalSeconds: 4.04,
      rttResponses: 12,
    };
    assert.equal(intervalMetrics(a, b).roundTripMs, 20);
    // No check answered in the interval: the last measured value.
    assert.equal(intervalMetrics(b, { ...b, timestamp: 4000 }).roundTripMs, 900);
  });

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

describe('quality hysteresis', () => {
  type Step = QualityLevel | [QualityLevel, 'severe'];
  // Raw levels fed in, and the level shown after each.
  const CASES: ReadonlyArray<[string, Step[], QualityLevel[]]> = [
    ['unknown until measured', ['unknown', 'good'], ['unknown', 'good']],
    ['first bad sample waits', ['poor', 'poor'], ['unknown', 'poor']],
    [
      'one bad sample does not flicker',
      ['good', 'fair', 'good', 'poor', 'good'],
      ['good', 'good', 'good', 'good', 'good'],
    ],
    ['two worse samples degrade', ['good', 'fair', 'fair'], ['good', 'good', 'fair']],
    [
      'a mixed worse streak takes its best level',
      ['good', 'poor', 'fair'],
      ['good', 'good', 'fair'],
    ],
    [
      'fair then poor',
      ['good', 'fair', 'fair', 'poor', 'poor'],
      ['good', 'good', 'fair', 'fair', 'poor'],
    ],
    ['a severe sample degrades at once', ['good', ['poor', 'severe']], ['good', 'poor']],
    [
      'unknown samples change nothing',
      ['good', 'fair', 'unknown', 'fair'],
      ['good', 'good', 'good', 'fair'],
    ],
    [
      'recovery needs three better samples',
      ['poor', 'poor', 'good', 'good', 'good'],
      ['unknown', 'poor', 'poor', 'poor', 'good'],
    ],
    [
      'a recovery streak takes its worst level',
      ['poor', 'poor', 'good', 'fair', 'good'],
      ['unknown', 'poor', 'poor', 'poor', 'fair'],
    ],
    [
      'a worse sample breaks a recovery',
      ['poor', 'poor', 'good', 'good', 'poor', 'good', 'good'],
      ['unknown', 'poor', 'poor', 'poor', 'poor', 'poor', 'poor'],
    ],
  ];
  for (const [label, steps, shown] of CASES) {
    it(`should show ${shown.join(' → ')}: ${label}`, () => {
      const tracker = new QualityTracker();
      const got = steps.map((step) =>
        Array.isArray(step) ? tracker.observe(step[0], true) : tracker.observe(step),
      );
      assert.deepEqual(got, shown);
      assert.equal(tracker.level, shown.at(-1));
    });
  }

  it('should smooth computeQuality with a tracker', () => {
    const tracker = new QualityTracker();
    const at = (t: number, rtt: number): BackendStats => ({
      roundTripMs: rtt,
      packetsLost: 0,
      packetsReceived: t,
      packetsSent: 0,
      bytes: t,
      timestamp: t,
    });
    assert.equal(computeQuality(undefined, at(0, 20), true, tracker).level, 'good');
    // A single RTT spike (a busy event loop, a STUN check answered late) does not show.
    assert.equal(computeQuality(at(0, 20), at(2000, 900), true, tracker).level, 'good');
    assert.equal(computeQuality(at(2000, 900), at(4000, 20), true, tracker).level, 'good');
    assert.equal(computeQuality(at(4000, 20), at(6000, 250), true, tracker).level, 'good');
    assert.equal(computeQuality(at(6000, 250), at(8000, 300), true, tracker).level, 'fair');
  });
});

/**
 * Advances the fake clock one sampling interval and waits until the sampler has read the stats
 * once. The sampler loads quality.js with a dynamic import, which under load can outlast one
 * advance(); a tick that moved on without waiting would let two intervals' stats collapse into
 * one sample (or skip one while the first sample is still busy).
 */
function sampledTicks(h: ReturnType<typeof createHarness>): () => Promise<void> {
  let reads = 0;
  const getStats = h.backend.getStats.bind(h.backend);
  h.backend.getStats = async (id) => {
    const stats = await getStats(id);
    reads += 1;
    return stats;
  };
  return async () => {
    const before = reads;
    await h.clock.advance(2000);
    const deadline = Date.now() + 5000;
    while (reads === before && Date.now() < deadline) await flushMicrotasks();
    await flushMicrotasks();
    assert.equal(reads, before + 1, 'one stats read per interval');
  };
}

describe('quality monitoring in a session', () => {
  it('should poll stats every 2 s, set participant quality and suggest audio-only', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    const sampled = sampledTicks(h);
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
      await sampled();
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

  it('should smooth each participant level: one slow interval does not change it', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const sampled = sampledTicks(h);
    const levels: string[] = [];
    let t = 0;
    for (const rtt of [20, 20, 500, 20, 20, 600, 700, 20]) {
      t += 2000;
      h.backend.simulateStats('con_local', {
        roundTripMs: rtt,
        packetsLost: 0,
        packetsReceived: 0,
        packetsSent: t,
        bytes: t,
        timestamp: t,
      });
      await sampled();
      levels.push(session.state.participants[0]?.quality.level ?? 'none');
    }
    assert.deepEqual(levels, ['good', 'good', 'good', 'good', 'good', 'good', 'poor', 'poor']);
    assert.equal(session.state.participants[0]?.quality.roundTripMs, 20);
    await session.leave();
  });
});
