/**
 * A scripted pre-call test for element tests and stories: {@link FakePrecheckClient} hands out
 * {@link FakePrecheck}s that play one of the {@link PRECHECK_OUTCOMES} (or any result), step by step
 * (`simulate*`) or on their own with `autoplayMs`.
 * @packageDocumentation
 */
import { ConsultError } from '../errors.js';
import { Emitter } from '../emitter.js';
import type {
  Precheck,
  PrecheckEventMap,
  PrecheckNetworkResult,
  PrecheckOptions,
  PrecheckResult,
  PrecheckSpeakerResult,
  PrecheckState,
} from '../precheck-types.js';
import { precheckVerdict } from '../precheck-verdict.js';
import { StateStore } from '../store.js';
import type { Unsubscribe } from '../types.js';

const CLEAN: PrecheckNetworkResult = {
  status: 'ok',
  roundTripMs: 24,
  lossPercent: 0,
  jitterMs: 3,
  upKbps: 1450,
  downKbps: 1380,
  availableUpKbps: 2500,
  candidateType: 'srflx',
  turn: 'reachable',
  samples: 6,
};

/** Named outcomes of a pre-call test (stories, tests). @public */
export const PRECHECK_OUTCOMES = {
  good: { network: CLEAN },
  fair: {
    network: { ...CLEAN, roundTripMs: 260, lossPercent: 3.4, jitterMs: 38, upKbps: 620 },
  },
  poor: {
    network: {
      ...CLEAN,
      roundTripMs: 640,
      lossPercent: 11.2,
      jitterMs: 120,
      upKbps: 140,
      downKbps: 95,
      availableUpKbps: 110,
    },
  },
  'camera-denied': { camera: 'permission-denied' },
  'no-turn': { network: { ...CLEAN, candidateType: 'host', turn: 'unreachable' } },
  'media-server-unreachable': {
    network: { status: 'failed', errorCode: 'connection-failed', turn: 'unknown', samples: 0 },
  },
} as const satisfies Record<string, FakePrecheckOutcome>;

/** A named outcome. @public */
export type PrecheckOutcomeName = keyof typeof PRECHECK_OUTCOMES;

/** What a fake test ends with; the verdict and advice are computed like the real test's. @public */
export interface FakePrecheckOutcome {
  camera?: 'ok' | 'permission-denied' | 'device-not-found' | 'device-in-use';
  microphone?: 'ok' | 'permission-denied' | 'device-not-found' | 'device-in-use';
  network?: PrecheckNetworkResult;
}

/** Options of {@link FakePrecheck}. @public */
export interface FakePrecheckOptions {
  outcome?: PrecheckOutcomeName | FakePrecheckOutcome;
  /** The tracks the test "captured" (a canvas track, an oscillator track). */
  cameraTrack?: MediaStreamTrack;
  microphoneTrack?: MediaStreamTrack;
  /** Plays the whole test by itself: devices at once, then the network over this many ms. */
  autoplayMs?: number;
}

/** The result an outcome gives. @public */
export function fakePrecheckResult(
  outcome: PrecheckOutcomeName | FakePrecheckOutcome = 'good',
): PrecheckResult {
  const o: FakePrecheckOutcome = typeof outcome === 'string' ? PRECHECK_OUTCOMES[outcome] : outcome;
  const camera = { status: o.camera ?? 'ok' } as const;
  const microphone = { status: o.microphone ?? 'ok' } as const;
  const network = o.network ?? CLEAN;
  return {
    ...precheckVerdict({ camera, microphone, speaker: 'skipped', network }),
    camera,
    microphone,
    speaker: 'skipped',
    network,
    ...(network.status === 'ok' ? { precheckId: 'precheck_fake' } : {}),
    startedAt: '2030-01-01T09:00:00.000Z',
    durationMs: 6200,
  };
}

/**
 * A pre-call test that plays a scripted outcome.
 * @public
 */
export class FakePrecheck implements Precheck {
  readonly result: Promise<PrecheckResult>;
  disposed = false;
  private readonly store = new StateStore<PrecheckState>({ phase: 'devices', progress: 0 });
  private readonly emitter = new Emitter<PrecheckEventMap>();
  private readonly final: PrecheckResult;
  private readonly options: FakePrecheckOptions;
  private settle: { resolve: (r: PrecheckResult) => void; reject: (e: unknown) => void };
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor(options: FakePrecheckOptions = {}) {
    this.options = options;
    this.final = fakePrecheckResult(options.outcome);
    let settle!: FakePrecheck['settle'];
    this.result = new Promise<PrecheckResult>((resolve, reject) => (settle = { resolve, reject }));
    this.result.catch(() => undefined);
    this.settle = settle;
    this.store.subscribe((s) => this.emitter.emit('stateChanged', s));
    const ms = options.autoplayMs;
    if (ms !== undefined) {
      this.simulateDevices();
      for (let i = 1; i <= 4; i++)
        this.timers.push(setTimeout(() => this.simulateProgress(i / 5), (ms * i) / 5));
      this.timers.push(setTimeout(() => this.simulateResult(), ms));
    }
  }

  get state(): PrecheckState {
    return this.store.state;
  }

  subscribe(listener: (state: PrecheckState) => void): Unsubscribe {
    return this.store.subscribe(listener);
  }

  on<K extends keyof PrecheckEventMap>(
    event: K,
    listener: (detail: PrecheckEventMap[K]) => void,
  ): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  /** The devices were tried: the outcome's camera and microphone, with the given tracks. */
  simulateDevices(): void {
    const { cameraTrack, microphoneTrack } = this.options;
    const { camera, microphone } = this.final;
    this.store.update((s) => ({
      ...s,
      phase: 'network',
      camera,
      microphone,
      ...(camera.status === 'ok' && cameraTrack ? { cameraTrack } : {}),
      ...(microphone.status === 'ok' && microphoneTrack ? { microphoneTrack } : {}),
    }));
  }

  simulateProgress(progress: number): void {
    this.store.update((s) => ({ ...s, progress }));
  }

  /** The test is done with the outcome's result. */
  simulateResult(): void {
    if (this.disposed || this.state.result) return;
    if (!this.state.camera) this.simulateDevices();
    this.store.update((s) => ({ ...s, phase: 'done', progress: 1, result: this.final }));
    this.emitter.emit('result', this.final);
    this.settle.resolve(this.final);
  }

  /** The test failed to run (e.g. `invalid-state`). */
  simulateFailure(error: ConsultError): void {
    this.settle.reject(error);
  }

  withSpeaker(answer: PrecheckSpeakerResult): PrecheckResult | undefined {
    const result = this.state.result;
    if (!result) return undefined;
    return { ...result, ...precheckVerdict({ ...result, speaker: answer }), speaker: answer };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.settle.reject(ConsultError.aborted());
  }
}

/**
 * A client whose `precheck()` hands out {@link FakePrecheck}s (the element's `.client`).
 * @public
 */
export class FakePrecheckClient {
  /** Every test handed out, newest last. */
  readonly runs: FakePrecheck[] = [];
  /** The options of every `precheck()` call. */
  readonly calls: (PrecheckOptions | undefined)[] = [];

  constructor(private readonly options: FakePrecheckOptions | (() => FakePrecheckOptions) = {}) {}

  /** The latest test. */
  get last(): FakePrecheck | undefined {
    return this.runs[this.runs.length - 1];
  }

  precheck(options?: PrecheckOptions): Promise<Precheck> {
    this.calls.push(options);
    const run = new FakePrecheck(
      typeof this.options === 'function' ? this.options() : this.options,
    );
    this.runs.push(run);
    return Promise.resolve(run);
  }
}
