/**
 * The pre-call test, loaded on demand by `client.precheck()`: captures the camera and microphone,
 * asks the token server for a throwaway media-server session (`POST {base}/precheck`), publishes
 * the tracks with one connection and subscribes to them with a second one, so the media goes up to
 * the media server and back down; samples both sides' statistics for a few seconds and grades them
 * (`precheck-verdict.ts`).
 * @packageDocumentation
 */
import type { BackendStats, MediaBackend, MediaBackendFactory } from './backend.js';
import type { PrecheckTokenResponse } from './contract.js';
import { Emitter } from './emitter.js';
import { ConsultError, isAbortError, translateMediaError } from './errors.js';
import type { HttpClient } from './http.js';
import type { Logger } from './logger.js';
import type { Platform } from './platform.js';
import type {
  Precheck,
  PrecheckCandidateType,
  PrecheckDeviceResult,
  PrecheckEventMap,
  PrecheckNetworkResult,
  PrecheckOptions,
  PrecheckResult,
  PrecheckSpeakerResult,
  PrecheckState,
  PrecheckTurnStatus,
} from './precheck-types.js';
import { precheckVerdict } from './precheck-verdict.js';
import { StateStore } from './store.js';

/** What the client hands the pre-call test. @internal */
export interface PrecheckDeps {
  http: HttpClient;
  /** The token server's API base (`…/api`); undefined when the client has none. */
  apiBase: string | undefined;
  backendFactory: MediaBackendFactory;
  platform: Platform;
  logger: Logger;
}

const SAMPLE_MS = 1000;
/** How long the media may take to come back through the server before the test gives up. */
const MEDIA_TIMEOUT_MS = 15_000;

/** Starts a pre-call test. @internal */
export function startPrecheck(deps: PrecheckDeps, options: PrecheckOptions = {}): Precheck {
  const durationMs = options.durationMs ?? 5000;
  if (!Number.isFinite(durationMs) || durationMs < 2000 || durationMs > 30_000)
    throw new RangeError('durationMs must be between 2000 and 30000');
  return new PrecheckRun(deps, options, durationMs);
}

const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const round1 = (n: number | undefined): number | undefined =>
  n === undefined ? undefined : Math.round(n * 10) / 10;

class PrecheckRun implements Precheck {
  readonly result: Promise<PrecheckResult>;
  private readonly store = new StateStore<PrecheckState>({ phase: 'devices', progress: 0 });
  private readonly emitter: Emitter<PrecheckEventMap>;
  private readonly abort = new AbortController();
  private readonly backends: MediaBackend[] = [];
  private tracks: MediaStreamTrack[] = [];
  private disposed = false;

  constructor(
    private readonly deps: PrecheckDeps,
    private readonly options: PrecheckOptions,
    private readonly durationMs: number,
  ) {
    this.emitter = new Emitter(deps.logger);
    this.store.subscribe((state) => this.emitter.emit('stateChanged', state));
    const outer = options.signal;
    if (outer?.aborted) this.abort.abort(outer.reason);
    else outer?.addEventListener('abort', () => this.dispose(), { once: true });
    this.result = this.run();
    // The result is also reported as state and an event; an unobserved rejection is not an error.
    this.result.catch(() => undefined);
  }

  get state(): PrecheckState {
    return this.store.state;
  }

  subscribe(listener: (state: PrecheckState) => void): () => void {
    return this.store.subscribe(listener);
  }

  on<K extends keyof PrecheckEventMap>(
    event: K,
    listener: (detail: PrecheckEventMap[K]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  withSpeaker(answer: PrecheckSpeakerResult): PrecheckResult | undefined {
    const result = this.state.result;
    if (!result) return undefined;
    return { ...result, ...precheckVerdict({ ...result, speaker: answer }), speaker: answer };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.abort.abort(ConsultError.aborted());
    this.release();
    this.stopTracks();
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  private update(patch: Partial<PrecheckState>): void {
    this.store.update((s) => ({ ...s, ...patch }));
  }

  private async run(): Promise<PrecheckResult> {
    const started = this.deps.platform.clock.now();
    try {
      const { camera, microphone } = await this.captureDevices();
      this.update({ phase: 'network', camera, microphone });
      const { network, precheckId } = await this.measureNetwork();
      const graded = precheckVerdict({ camera, microphone, speaker: 'skipped', network });
      const result: PrecheckResult = {
        ...graded,
        camera,
        microphone,
        speaker: 'skipped',
        network,
        ...(precheckId !== undefined ? { precheckId } : {}),
        startedAt: new Date(started).toISOString(),
        durationMs: Math.round(this.deps.platform.clock.now() - started),
      };
      this.throwIfAborted();
      if (!this.options.keepMedia) this.stopTracks();
      this.update({ phase: 'done', progress: 1, result });
      this.emitter.emit('result', result);
      return result;
    } catch (error) {
      this.release();
      this.stopTracks();
      throw this.signal.aborted ? ConsultError.aborted(error) : ConsultError.from(error);
    }
  }

  private throwIfAborted(): void {
    if (this.signal.aborted) throw ConsultError.aborted(this.signal.reason);
  }

  /** Camera and microphone together, then each alone to tell which one failed. */
  private async captureDevices(): Promise<{
    camera: PrecheckDeviceResult;
    microphone: PrecheckDeviceResult;
  }> {
    const { platform } = this.deps;
    const devices = platform.mediaDevices;
    const video = this.options.videoConstraints ?? true;
    const audio = this.options.audioConstraints ?? true;
    const fail = (device: 'camera' | 'microphone', error: unknown): PrecheckDeviceResult => ({
      status: devices
        ? translateMediaError(error, device, platform.isSecureContext).reason
        : 'unsupported-browser',
    });
    const get = async (c: MediaStreamConstraints): Promise<MediaStream> => {
      if (!devices) throw new TypeError('no media devices');
      const stream = await devices.getUserMedia(c);
      this.tracks.push(...stream.getTracks());
      this.throwIfAborted();
      return stream;
    };
    let cam: MediaStreamTrack | undefined;
    let mic: MediaStreamTrack | undefined;
    let camError: unknown;
    let micError: unknown;
    try {
      const both = await get({ video, audio });
      cam = both.getVideoTracks()[0];
      mic = both.getAudioTracks()[0];
    } catch (error) {
      if (this.signal.aborted) throw error;
      [cam, camError] = await get({ video }).then(
        (s) => [s.getVideoTracks()[0], undefined] as const,
        (e: unknown) => [undefined, e] as const,
      );
      [mic, micError] = await get({ audio }).then(
        (s) => [s.getAudioTracks()[0], undefined] as const,
        (e: unknown) => [undefined, e] as const,
      );
      this.throwIfAborted();
    }
    this.update({
      ...(cam ? { cameraTrack: cam } : {}),
      ...(mic ? { microphoneTrack: mic } : {}),
    });
    return {
      camera: cam ? { status: 'ok' } : fail('camera', camError),
      microphone: mic ? { status: 'ok' } : fail('microphone', micError),
    };
  }

  private async measureNetwork(): Promise<{
    network: PrecheckNetworkResult;
    precheckId?: string;
  }> {
    const { cameraTrack, microphoneTrack } = this.state;
    if (!cameraTrack && !microphoneTrack)
      return { network: { status: 'skipped', turn: 'unknown', samples: 0 } };
    let precheckId: string | undefined;
    try {
      const tokens = await this.requestTokens();
      precheckId = tokens.precheckId;
      const network = await this.loopback(tokens, cameraTrack, microphoneTrack);
      return { network, precheckId };
    } catch (error) {
      if (this.signal.aborted || isAbortError(error)) throw error;
      const code = ConsultError.from(error, 'connection-failed').code;
      this.deps.logger.warn('precheck network test failed', { code });
      return {
        network: { status: 'failed', errorCode: code, turn: 'unknown', samples: 0 },
        ...(precheckId !== undefined ? { precheckId } : {}),
      };
    } finally {
      this.release();
    }
  }

  private async requestTokens(): Promise<PrecheckTokenResponse> {
    const { apiBase, http } = this.deps;
    if (apiBase === undefined)
      throw ConsultError.invalidState(
        'No token-server API URL is configured (tokenUrl or apiUrl).',
      );
    const { data } = await http.request(`${apiBase}/precheck`, {
      method: 'POST',
      body: {},
      signal: this.signal,
      notFoundCode: 'connection-failed',
    });
    const d = data as Partial<PrecheckTokenResponse> | undefined;
    if (
      typeof d?.precheckId !== 'string' ||
      typeof d.publisherToken !== 'string' ||
      typeof d.subscriberToken !== 'string'
    )
      throw new ConsultError('invalid-response', 'The pre-call test answer is not the contract.');
    return d as PrecheckTokenResponse;
  }

  /** Publishes with one connection, subscribes with the other, samples both, then hangs up. */
  private async loopback(
    tokens: PrecheckTokenResponse,
    videoTrack: MediaStreamTrack | undefined,
    audioTrack: MediaStreamTrack | undefined,
  ): Promise<PrecheckNetworkResult> {
    const { backendFactory } = this.deps;
    const clientData = JSON.stringify({ precheck: true });
    const server = {
      backend: tokens.backend ?? 'openvidu',
      ...(tokens.serverUrl ? { url: tokens.serverUrl } : {}),
    } as const;
    const pub = await backendFactory(server);
    this.backends.push(pub);
    const sub = await backendFactory(server);
    this.backends.push(sub);
    const { connectionId: pubId } = await pub.connect(
      tokens.publisherToken,
      clientData,
      this.signal,
    );
    const received = this.waitForStream(sub, pubId);
    received.catch(() => undefined);
    await pub.publish({
      ...(videoTrack ? { videoTrack } : {}),
      ...(audioTrack ? { audioTrack } : {}),
      audioEnabled: audioTrack !== undefined,
      videoEnabled: videoTrack !== undefined,
    });
    await sub.connect(tokens.subscriberToken, clientData, this.signal);
    await received;
    return this.sample(pub, sub, pubId);
  }

  /** Resolves once `sub` receives media from `pubId`; rejects after {@link MEDIA_TIMEOUT_MS}. */
  private waitForStream(sub: MediaBackend, pubId: string): Promise<void> {
    const { clock } = this.deps.platform;
    return new Promise<void>((resolve, reject) => {
      const done = (error?: unknown): void => {
        off();
        offFail();
        clock.clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const off = sub.on('streamSubscribed', (e) => {
        if (e.connectionId === pubId) done();
      });
      const offFail = sub.on('disconnected', ({ reason }) =>
        done(new ConsultError('connection-lost', `Disconnected: ${reason}`)),
      );
      const onAbort = (): void => done(ConsultError.aborted(this.signal.reason));
      this.signal.addEventListener('abort', onAbort, { once: true });
      const timer = clock.setTimeout(
        () => done(new ConsultError('timeout', 'No media came back from the media server.')),
        MEDIA_TIMEOUT_MS,
      );
    });
  }

  private async sample(
    pub: MediaBackend,
    sub: MediaBackend,
    pubId: string,
  ): Promise<PrecheckNetworkResult> {
    const { clock } = this.deps.platform;
    const ups: BackendStats[] = [];
    const downs: BackendStats[] = [];
    const rounds = Math.max(2, Math.round(this.durationMs / SAMPLE_MS));
    for (let i = 0; i <= rounds; i++) {
      if (i > 0) await this.sleep(SAMPLE_MS, clock);
      const [up, down] = await Promise.all([pub.getStats(pubId), sub.getStats(pubId)]);
      if (up) ups.push(up);
      if (down) downs.push(down);
      this.update({ progress: Math.min(0.99, i / rounds) });
    }
    return summarizeLoopback(ups, downs);
  }

  private sleep(ms: number, clock: Platform['clock']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clock.clearTimeout(timer);
        reject(ConsultError.aborted(this.signal.reason));
      };
      const timer = clock.setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hangs up both connections (without waiting; failures only logged). */
  private release(): void {
    for (const backend of this.backends.splice(0)) {
      backend
        .disconnect()
        .catch((error: unknown) => this.deps.logger.debug('precheck disconnect failed', { error }));
    }
  }

  private stopTracks(): void {
    for (const track of this.tracks.splice(0)) track.stop();
  }
}

/** Rates between consecutive samples, kbit/s. */
function rates(samples: readonly BackendStats[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (!a || !b || b.timestamp <= a.timestamp) continue;
    out.push(((b.bytes - a.bytes) * 8) / (b.timestamp - a.timestamp));
  }
  return out;
}

function defined(values: readonly (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

/** The network result from the publisher's and the subscriber's samples. @internal */
export function summarizeLoopback(
  ups: readonly BackendStats[],
  downs: readonly BackendStats[],
): PrecheckNetworkResult {
  const first = downs[0];
  const last = downs[downs.length - 1];
  let lossPercent: number | undefined;
  if (first && last) {
    const lost = Math.max(0, last.packetsLost - first.packetsLost);
    const got = Math.max(0, last.packetsReceived - first.packetsReceived);
    lossPercent = lost + got > 0 ? (100 * lost) / (lost + got) : undefined;
  }
  const lastUp = ups[ups.length - 1];
  const candidateType = lastUp?.candidateType as PrecheckCandidateType | undefined;
  let turn: PrecheckTurnStatus = 'unknown';
  if (lastUp?.turnConfigured === false) turn = 'not-configured';
  else if (candidateType === 'relay' || lastUp?.relayCandidate === true) turn = 'reachable';
  else if (lastUp?.turnConfigured === true && lastUp.relayCandidate === false) turn = 'unreachable';
  const optional: Partial<PrecheckNetworkResult> = {
    roundTripMs: round1(median(defined(ups.map((s) => s.roundTripMs)))),
    lossPercent: round1(lossPercent),
    jitterMs: round1(median(defined(downs.map((s) => s.jitterMs)))),
    upKbps: round1(median(rates(ups))),
    downKbps: round1(median(rates(downs))),
    availableUpKbps: round1(median(defined(ups.map((s) => s.availableOutgoingKbps)))),
    candidateType,
  };
  const result: PrecheckNetworkResult = {
    status: 'ok',
    turn,
    samples: Math.min(ups.length, downs.length),
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (result as unknown as Record<string, unknown>)[key] = value;
  return result;
}
