import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendStats } from './backend.js';
import { createConsultClient } from './client.js';
import { ConsultError } from './errors.js';
import type { Precheck, PrecheckNetworkResult, PrecheckResult } from './precheck-types.js';
import { networkVerdict, precheckVerdict } from './precheck-verdict.js';
import { summarizeLoopback } from './precheck.js';
import { FakeBackend } from './testing/fake-backend.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { errorResponse, jsonResponse } from './testing/fake-fetch.js';
import { createFakeMediaStream } from './testing/fake-media.js';
import { createFakePlatform } from './testing/fake-platform.js';

const TOKENS = {
  precheckId: 'precheck_0123',
  publisherToken: 'ws://ov?sessionId=precheck_0123&token=tok_pub',
  subscriberToken: 'ws://ov?sessionId=precheck_0123&token=tok_sub',
  expiresAt: '2030-01-01T00:00:00.000Z',
};

interface Link {
  rttMs: number;
  /** Percent lost on the way back. */
  loss: number;
  jitterMs: number;
  kbps: number;
  availableKbps?: number;
  candidateType?: string;
  turnConfigured?: boolean;
  relayCandidate?: boolean;
}

const CLEAN: Link = { rttMs: 20, loss: 0, jitterMs: 3, kbps: 800, availableKbps: 2500 };

/** Two fake backends whose stats grow with the fake clock as `link` says. */
function setup(link: Link = CLEAN, options: { answer?: () => Response } = {}) {
  const fake = createFakePlatform();
  const { clock, server } = fake;
  server.on('POST', '/api/precheck', options.answer ?? (() => jsonResponse(TOKENS)));
  const pub = new FakeBackend({ connectionId: 'con_pub' });
  const sub = new FakeBackend({ connectionId: 'con_sub' });
  const start = clock.now();
  const seconds = (): number => (clock.now() - start) / 1000;
  pub.getStats = (): Promise<BackendStats> =>
    Promise.resolve({
      roundTripMs: link.rttMs,
      packetsLost: 0,
      packetsReceived: 0,
      packetsSent: Math.round(seconds() * 100),
      bytes: Math.round((seconds() * link.kbps * 1000) / 8),
      timestamp: clock.now(),
      ...(link.availableKbps !== undefined ? { availableOutgoingKbps: link.availableKbps } : {}),
      candidateType: link.candidateType ?? 'host',
      turnConfigured: link.turnConfigured ?? false,
      relayCandidate: link.relayCandidate ?? false,
    });
  sub.getStats = (): Promise<BackendStats> => {
    const packets = seconds() * 100;
    return Promise.resolve({
      packetsLost: Math.round((packets * link.loss) / 100),
      packetsReceived: Math.round((packets * (100 - link.loss)) / 100),
      packetsSent: 0,
      bytes: Math.round((seconds() * link.kbps * 1000) / 8),
      timestamp: clock.now(),
      jitterMs: link.jitterMs,
    });
  };
  const queue = [pub, sub];
  const client = createConsultClient({
    tokenUrl: 'https://portal.test/api',
    platform: fake.platform,
    backend: () => {
      const next = queue.shift();
      return next ? Promise.resolve(next) : Promise.reject(new Error('no backend left'));
    },
  });
  return { ...fake, pub, sub, client };
}

async function until(what: string, predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await flushMicrotasks();
  }
  assert.fail(`never happened: ${what}`);
}

/** Runs a test through the fake media server: media comes back, then time passes. */
async function runThrough(s: ReturnType<typeof setup>): Promise<PrecheckResult> {
  const run = await s.client.precheck({ durationMs: 3000 });
  await until('the subscriber connects', () => s.sub.connected);
  s.sub.simulateStream({ connectionId: 'con_pub', mediaStream: createFakeMediaStream([]) });
  return finish(s, run);
}

/** Advances the fake clock one sample at a time until the result is in. */
async function finish(s: ReturnType<typeof setup>, run: Precheck): Promise<PrecheckResult> {
  let done = false;
  run.result.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 40 && !done; i++) {
    await until('a sample timer or the result', () => done || s.clock.pendingTimers > 0);
    if (!done) await s.clock.advance(1000);
  }
  return run.result;
}

describe('client.precheck()', () => {
  it('reads good on a clean link, through two connections of the test session', async () => {
    const s = setup();
    const result = await runThrough(s);
    assert.equal(result.verdict, 'good');
    assert.deepEqual(result.advice, []);
    assert.equal(result.precheckId, 'precheck_0123');
    assert.deepEqual(result.camera, { status: 'ok' });
    assert.equal(result.microphone.status, 'ok');
    assert.equal(result.network.status, 'ok');
    assert.equal(result.network.roundTripMs, 20);
    assert.equal(result.network.lossPercent, 0);
    assert.equal(result.network.upKbps, 800);
    assert.equal(result.network.downKbps, 800);
    assert.equal(result.network.candidateType, 'host');
    assert.equal(result.network.turn, 'not-configured');
    assert.equal(s.pub.callsOf('connect')[0]?.args[0], TOKENS.publisherToken);
    assert.equal(s.sub.callsOf('connect')[0]?.args[0], TOKENS.subscriberToken);
    assert.equal(s.sub.callsOf('publish').length, 0);
    // Both connections hung up, the tracks stopped.
    assert.equal(s.pub.connected || s.sub.connected, false);
    assert.equal(s.mediaDevices.liveTracks.length, 0);
  });

  it('reads poor with advice under a long round trip and loss', async () => {
    const s = setup({ ...CLEAN, rttMs: 600, loss: 12 });
    const result = await runThrough(s);
    assert.equal(result.verdict, 'poor');
    assert.deepEqual(result.advice.slice(0, 2).sort(), ['high-latency', 'packet-loss']);
    assert.equal(result.network.lossPercent, 12);
  });

  it('reads fair when a configured TURN server gave no relay candidate', async () => {
    const s = setup({ ...CLEAN, turnConfigured: true, relayCandidate: false });
    const result = await runThrough(s);
    assert.equal(result.network.turn, 'unreachable');
    assert.equal(result.verdict, 'fair');
    assert.deepEqual(result.advice, ['turn-unreachable']);
  });

  it('reports a denied camera and still tests the network with the microphone', async () => {
    const s = setup();
    s.mediaDevices.failNext('NotAllowedError'); // camera and microphone together
    s.mediaDevices.failNext('NotAllowedError'); // camera alone
    const result = await runThrough(s);
    assert.equal(result.camera.status, 'permission-denied');
    assert.equal(result.microphone.status, 'ok');
    assert.equal(result.verdict, 'fair');
    assert.deepEqual(result.advice, ['camera-permission']);
    assert.equal(s.pub.published?.videoEnabled, false);
    assert.equal(s.pub.published?.audioEnabled, true);
  });

  it('reads poor with media-server-unreachable when the test session cannot start', async () => {
    const s = setup(CLEAN, {
      answer: () => errorResponse(503, 'openvidu-unavailable'),
    });
    const run = await s.client.precheck();
    const result = await run.result;
    assert.equal(result.network.status, 'failed');
    assert.equal(result.network.errorCode, 'server-error');
    assert.equal(result.verdict, 'poor');
    assert.deepEqual(result.advice, ['media-server-unreachable']);
    assert.equal(run.state.phase, 'done');
  });

  it('gives up with a timeout when no media comes back', async () => {
    const s = setup();
    const run = await s.client.precheck();
    await until('the subscriber connects', () => s.sub.connected);
    await s.clock.advance(15_000);
    const result = await run.result;
    assert.equal(result.network.errorCode, 'timeout');
    assert.equal(result.verdict, 'poor');
    assert.equal(s.pub.connected, false);
  });

  it('rejects with aborted and releases everything when disposed', async () => {
    const s = setup();
    const run = await s.client.precheck();
    await until('the subscriber connects', () => s.sub.connected);
    run.dispose();
    await assert.rejects(
      run.result,
      (e: unknown) => e instanceof ConsultError && e.code === 'aborted',
    );
    await flushMicrotasks();
    assert.equal(s.mediaDevices.liveTracks.length, 0);
    assert.equal(s.pub.connected || s.sub.connected, false);
  });

  it('keeps the tracks with keepMedia until disposed, and reports phases as state', async () => {
    const s = setup();
    const phases: string[] = [];
    const run = await s.client.precheck({ keepMedia: true, durationMs: 3000 });
    run.subscribe((state) => {
      if (phases[phases.length - 1] !== state.phase) phases.push(state.phase);
    });
    let emitted: PrecheckResult | undefined;
    run.on('result', (r) => (emitted = r));
    await until('the subscriber connects', () => s.sub.connected);
    s.sub.simulateStream({ connectionId: 'con_pub', mediaStream: createFakeMediaStream([]) });
    const result = await finish(s, run);
    assert.equal(emitted, result);
    assert.deepEqual(phases, ['devices', 'network', 'done']);
    assert.equal(s.mediaDevices.liveTracks.length, 2);
    const notHeard = run.withSpeaker('not-heard');
    assert.deepEqual(
      [notHeard?.verdict, notHeard?.advice, notHeard?.speaker],
      ['fair', ['speaker'], 'not-heard'],
    );
    run.dispose();
    assert.equal(s.mediaDevices.liveTracks.length, 0);
  });

  it('throws RangeError for a duration out of range', async () => {
    const s = setup();
    await assert.rejects(s.client.precheck({ durationMs: 100 }), RangeError);
  });
});

describe('precheck verdict', () => {
  const ok = { status: 'ok' as const };
  const net = (n: Partial<PrecheckNetworkResult>): PrecheckNetworkResult => ({
    status: 'ok',
    turn: 'not-configured',
    samples: 5,
    ...n,
  });
  const CASES: [string, Parameters<typeof precheckVerdict>[0], string, string[]][] = [
    [
      'clean',
      { camera: ok, microphone: ok, speaker: 'heard', network: net({ roundTripMs: 20 }) },
      'good',
      [],
    ],
    [
      'a fake camera encoding little is not a bad network',
      { camera: ok, microphone: ok, speaker: 'heard', network: net({ upKbps: 90, downKbps: 90 }) },
      'good',
      [],
    ],
    [
      'fair round trip',
      { camera: ok, microphone: ok, speaker: 'skipped', network: net({ roundTripMs: 250 }) },
      'fair',
      ['high-latency'],
    ],
    [
      'poor jitter before fair loss',
      {
        camera: ok,
        microphone: ok,
        speaker: 'skipped',
        network: net({ jitterMs: 150, lossPercent: 4 }),
      },
      'poor',
      ['jitter', 'packet-loss'],
    ],
    [
      'little bandwidth estimated',
      { camera: ok, microphone: ok, speaker: 'skipped', network: net({ availableUpKbps: 100 }) },
      'poor',
      ['low-bandwidth'],
    ],
    [
      'no microphone',
      {
        camera: ok,
        microphone: { status: 'device-not-found' },
        speaker: 'skipped',
        network: net({}),
      },
      'poor',
      ['microphone-not-found'],
    ],
    [
      'camera in use and speaker not heard',
      {
        camera: { status: 'device-in-use' },
        microphone: ok,
        speaker: 'not-heard',
        network: net({}),
      },
      'fair',
      ['camera-in-use', 'speaker'],
    ],
    [
      'media server unreachable',
      {
        camera: ok,
        microphone: ok,
        speaker: 'heard',
        network: { status: 'failed', turn: 'unknown', samples: 0 },
      },
      'poor',
      ['media-server-unreachable'],
    ],
  ];
  for (const [name, input, verdict, advice] of CASES) {
    it(`reads ${verdict} for ${name}`, () => {
      assert.deepEqual(precheckVerdict(input), { verdict, advice });
    });
  }

  it('grades a skipped network as no evidence either way', () => {
    assert.deepEqual(networkVerdict({ status: 'skipped', turn: 'unknown', samples: 0 }), {
      verdict: 'good',
      advice: [],
    });
  });

  it('summarizes relayed media as TURN reachable', () => {
    const at = (t: number): BackendStats => ({
      packetsLost: 0,
      packetsReceived: t,
      packetsSent: t,
      bytes: t * 1000,
      timestamp: t * 1000,
      candidateType: 'relay',
      turnConfigured: true,
      relayCandidate: true,
    });
    const result = summarizeLoopback([at(0), at(1)], [at(0), at(1)]);
    assert.equal(result.turn, 'reachable');
    assert.equal(result.candidateType, 'relay');
    assert.equal(result.upKbps, 8);
  });
});
