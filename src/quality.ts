/**
 * Connection quality from WebRTC statistics. OpenVidu 2 CE sends no network-quality events, so the
 * client samples `MediaBackend.getStats()` (every {@link QUALITY_SAMPLE_INTERVAL_MS}), classifies
 * each interval from network signals with the table {@link QUALITY_THRESHOLDS}, and smooths the
 * result with {@link QualityTracker} so the label does not flicker.
 *
 * Only network signals count: round-trip time, loss, jitter, the sender being limited by bandwidth
 * (Chromium's `qualityLimitationReason` with `availableOutgoingBitrate` below what the encoders
 * aim for) and video freezes. The bitrate alone never does: an encoder with little to encode (a
 * still picture, a small view) sends little on a perfect link. A signal a browser does not report
 * (Firefox has no `qualityLimitationReason`, `availableOutgoingBitrate` or freeze counters) is
 * unknown, never bad.
 *
 * {@link QualitySampler} does the sampling for a session: it owns the per-participant history (last
 * stats, trackers) and the audio-only advisor, and writes `participants[].quality`. The session owns
 * the timer and loads this module with its first sample, so pages that never join a call do not
 * pay for it.
 * @packageDocumentation
 */
import type { BackendStats, MediaBackend } from './backend.js';
import type { LocalMedia } from './local-media.js';
import { patchParticipant } from './participants.js';
import type { StateStore } from './store.js';
import type {
  ConnectionQuality,
  Participant,
  QualityLevel,
  SessionEventMap,
  SessionState,
} from './types.js';

import { AUDIO_ONLY_SUGGESTION_SAMPLES } from './quality-constants.js';

export { AUDIO_ONLY_SUGGESTION_SAMPLES, QUALITY_SAMPLE_INTERVAL_MS } from './quality-constants.js';

/** Limits of one level; a sample crossing any of them (at or above) takes the level. @public */
export interface QualityLimits {
  /** Round-trip time in milliseconds. */
  roundTripMs: number;
  /** Share of packets lost in the interval, 0–1. */
  packetLoss: number;
  /** Interarrival jitter in milliseconds (audio's when there is audio). */
  jitterMs: number;
  /** Share of the interval received video was frozen, 0–1 (only while video is expected). */
  freezeShare: number;
}

/**
 * Thresholds, worst level first; a sample takes the first level any of whose limits it reaches.
 * The values follow common WebRTC guidance: above ~300 ms RTT conversation becomes awkward and above
 * ~10 % loss video freezes even with NACK; 2–3 % loss, >150 ms RTT and tens of ms of jitter are
 * noticeable. Being limited by bandwidth (see {@link QualityMetrics.bandwidthLimited}) makes a
 * sample `fair` at most.
 * @public
 */
export const QUALITY_THRESHOLDS: ReadonlyArray<
  { level: Exclude<QualityLevel, 'good' | 'unknown'> } & QualityLimits
> = [
  { level: 'poor', roundTripMs: 400, packetLoss: 0.1, jitterMs: 100, freezeShare: 0.3 },
  { level: 'fair', roundTripMs: 200, packetLoss: 0.03, jitterMs: 50, freezeShare: 0.1 },
];

/**
 * A sample reaching any of these is severe: it turns the level `poor` at once, without waiting for
 * {@link QUALITY_HYSTERESIS}'s `degradeSamples`.
 * @public
 */
export const SEVERE_QUALITY_LIMITS: Readonly<Pick<QualityLimits, 'packetLoss' | 'freezeShare'>> = {
  packetLoss: 0.2,
  freezeShare: 0.5,
};

/**
 * How many consecutive samples it takes to change the shown level: `degradeSamples` worse ones to
 * go down (one severe sample is enough), `recoverSamples` better ones to go back up. A worse
 * streak moves to the best level the streak agrees on, a better streak to the worst of it.
 * @public
 */
export const QUALITY_HYSTERESIS: Readonly<{ degradeSamples: number; recoverSamples: number }> = {
  degradeSamples: 2,
  recoverSamples: 3,
};

/** Metrics of one interval; every field is optional (not measured = unknown). @public */
export interface QualityMetrics {
  roundTripMs?: number;
  packetLoss?: number;
  /** Bitrate in kbit/s; shown, never classified. */
  bitrateKbps?: number;
  /** Interarrival jitter in milliseconds. */
  jitterMs?: number;
  /** Estimated outgoing bandwidth of the link in kbit/s (`availableOutgoingBitrate`). */
  availableOutgoingKbps?: number;
  /**
   * The encoder is held back by bandwidth (`qualityLimitationReason: 'bandwidth'`) and the link's
   * estimate is below what the encoders aim for (`targetBitrate`): a shrinking link, not a ramp-up.
   */
  bandwidthLimited?: boolean;
  /** Video freezes counted in the interval (`freezeCount` growth). */
  freezeCount?: number;
  /** Share of the interval received video was frozen, 0–1 (`totalFreezesDuration` growth). */
  freezeShare?: number;
}

const SEVERITY: Record<QualityLevel, number> = { unknown: -1, good: 0, fair: 1, poor: 2 };
const worse = (a: QualityLevel, b: QualityLevel): boolean => SEVERITY[a] > SEVERITY[b];

function freezeShare(metrics: QualityMetrics, videoExpected: boolean): number | undefined {
  return videoExpected ? metrics.freezeShare : undefined;
}

function reaches(metrics: QualityMetrics, share: number | undefined, limits: QualityLimits) {
  const { roundTripMs, packetLoss, jitterMs } = metrics;
  return (
    (roundTripMs !== undefined && roundTripMs >= limits.roundTripMs) ||
    (packetLoss !== undefined && packetLoss >= limits.packetLoss) ||
    (jitterMs !== undefined && jitterMs >= limits.jitterMs) ||
    (share !== undefined && share >= limits.freezeShare)
  );
}

/**
 * Classifies one interval's metrics with {@link QUALITY_THRESHOLDS}; `unknown` when no network
 * signal was measured. `videoExpected`: freezes count only while video should be flowing.
 * @public
 */
export function classifyQuality(metrics: QualityMetrics, videoExpected = true): QualityLevel {
  const share = freezeShare(metrics, videoExpected);
  const { roundTripMs, packetLoss, jitterMs, bandwidthLimited } = metrics;
  if (
    roundTripMs === undefined &&
    packetLoss === undefined &&
    jitterMs === undefined &&
    bandwidthLimited === undefined &&
    share === undefined
  ) {
    return 'unknown';
  }
  for (const t of QUALITY_THRESHOLDS) if (reaches(metrics, share, t)) return t.level;
  return bandwidthLimited ? 'fair' : 'good';
}

/** Whether one interval is bad enough to show `poor` at once ({@link SEVERE_QUALITY_LIMITS}). @public */
export function isSevere(metrics: QualityMetrics, videoExpected = true): boolean {
  const share = freezeShare(metrics, videoExpected);
  const { packetLoss } = metrics;
  return (
    (packetLoss !== undefined && packetLoss >= SEVERE_QUALITY_LIMITS.packetLoss) ||
    (share !== undefined && share >= SEVERE_QUALITY_LIMITS.freezeShare)
  );
}

const delta = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined ? Math.max(0, b - a) : undefined;

/**
 * Turns two cumulative samples into interval metrics: round-trip time = the mean of the ICE
 * checks answered in the interval (the last measured one when none was), loss = lost / (lost +
 * received) over the interval (or lost / sent for a publisher, whose loss comes from the
 * receiver's reports), bitrate = bytes × 8 / ms, freezes = the growth of the freeze counters.
 * @public
 */
export function intervalMetrics(
  previous: BackendStats | undefined,
  current: BackendStats,
): QualityMetrics {
  const metrics: QualityMetrics = {};
  const { roundTripMs, jitterMs, availableOutgoingKbps, targetKbps } = current;
  if (roundTripMs !== undefined) metrics.roundTripMs = roundTripMs;
  if (jitterMs !== undefined) metrics.jitterMs = jitterMs;
  if (availableOutgoingKbps !== undefined) metrics.availableOutgoingKbps = availableOutgoingKbps;
  if (current.qualityLimitationReason !== undefined) {
    metrics.bandwidthLimited =
      current.qualityLimitationReason === 'bandwidth' &&
      availableOutgoingKbps !== undefined &&
      targetKbps !== undefined &&
      availableOutgoingKbps < targetKbps;
  }
  if (!previous) return metrics;
  const responses = delta(previous.rttResponses, current.rttResponses);
  const rttTotal = delta(previous.rttTotalSeconds, current.rttTotalSeconds);
  if (responses && rttTotal !== undefined)
    metrics.roundTripMs = Math.round((rttTotal / responses) * 1000);
  const ms = current.timestamp - previous.timestamp;
  const lost = Math.max(0, current.packetsLost - previous.packetsLost);
  const received = Math.max(0, current.packetsReceived - previous.packetsReceived);
  const sent = Math.max(0, current.packetsSent - previous.packetsSent);
  const total = received > 0 ? received + lost : sent;
  if (total > 0) metrics.packetLoss = Math.min(1, lost / total);
  if (ms > 0) metrics.bitrateKbps = (Math.max(0, current.bytes - previous.bytes) * 8) / ms;
  const freezeCount = delta(previous.freezeCount, current.freezeCount);
  const freezeMs = delta(previous.totalFreezesMs, current.totalFreezesMs);
  if (freezeCount !== undefined) metrics.freezeCount = freezeCount;
  if (freezeMs !== undefined && ms > 0) metrics.freezeShare = Math.min(1, freezeMs / ms);
  return metrics;
}

/**
 * The level shown for one participant, smoothed with {@link QUALITY_HYSTERESIS}: a single bad or
 * good interval does not change it. The first known sample is taken as it is when it is `good`;
 * a worse one waits for a streak like any degradation.
 * @public
 */
export class QualityTracker {
  private shown: QualityLevel = 'unknown';
  private worseStreak = 0;
  private betterStreak = 0;
  /** Best level of the current worse streak / worst level of the current better streak. */
  private streakLevel: QualityLevel = 'unknown';

  get level(): QualityLevel {
    return this.shown;
  }

  /** Feeds one interval's raw level; returns the level to show. */
  observe(raw: QualityLevel, severe = false): QualityLevel {
    if (raw === 'unknown') return this.shown;
    const base = this.shown === 'unknown' ? 'good' : this.shown;
    if (this.shown === 'unknown' && raw === 'good') return this.settle('good');
    if (severe) return this.settle('poor');
    if (worse(raw, base)) {
      this.betterStreak = 0;
      this.streakLevel =
        this.worseStreak === 0 || worse(this.streakLevel, raw) ? raw : this.streakLevel;
      if (++this.worseStreak >= QUALITY_HYSTERESIS.degradeSamples)
        return this.settle(this.streakLevel);
    } else if (worse(base, raw)) {
      this.worseStreak = 0;
      this.streakLevel =
        this.betterStreak === 0 || worse(raw, this.streakLevel) ? raw : this.streakLevel;
      if (++this.betterStreak >= QUALITY_HYSTERESIS.recoverSamples)
        return this.settle(this.streakLevel);
    } else {
      this.worseStreak = this.betterStreak = 0;
    }
    return this.shown;
  }

  private settle(level: QualityLevel): QualityLevel {
    this.shown = level;
    this.worseStreak = this.betterStreak = 0;
    return level;
  }
}

/**
 * One participant's quality from two samples. With a `tracker` the level is the smoothed one
 * ({@link QualityTracker}); without, the raw classification of this interval.
 * @public
 */
export function computeQuality(
  previous: BackendStats | undefined,
  current: BackendStats,
  videoExpected: boolean,
  tracker?: QualityTracker,
): ConnectionQuality {
  const metrics = intervalMetrics(previous, current);
  const raw = classifyQuality(metrics, videoExpected);
  const level = tracker ? tracker.observe(raw, isSevere(metrics, videoExpected)) : raw;
  const { roundTripMs, packetLoss, bitrateKbps, jitterMs } = metrics;
  return {
    level,
    ...(roundTripMs !== undefined ? { roundTripMs } : {}),
    ...(packetLoss !== undefined ? { packetLoss } : {}),
    ...(bitrateKbps !== undefined ? { bitrateKbps } : {}),
    ...(jitterMs !== undefined ? { jitterMs } : {}),
  };
}

/**
 * Counts consecutive poor samples and says when to suggest audio-only: when the local quality, or
 * every remote participant's quality, has been poor for `samples` samples in a row. Suggests once
 * per poor streak.
 * @public
 */
export class AudioOnlyAdvisor {
  private localStreak = 0;
  private remoteStreak = 0;
  private suggested = false;
  private readonly samples: number;

  constructor(samples = AUDIO_ONLY_SUGGESTION_SAMPLES) {
    this.samples = samples;
  }

  /** Feeds one round of samples; returns true when audio-only should be suggested now. */
  observe(local: QualityLevel, remotes: readonly QualityLevel[]): boolean {
    this.localStreak = local === 'poor' ? this.localStreak + 1 : 0;
    const allRemotePoor = remotes.length > 0 && remotes.every((q) => q === 'poor');
    this.remoteStreak = allRemotePoor ? this.remoteStreak + 1 : 0;
    const poor = this.localStreak >= this.samples || this.remoteStreak >= this.samples;
    if (!poor) {
      if (this.localStreak === 0 && this.remoteStreak === 0) this.suggested = false;
      return false;
    }
    if (this.suggested) return false;
    this.suggested = true;
    return true;
  }
}

// ── Sampling a session ────────────────────────────────────────────────────────────────────────

/** What the sampler needs from its session. @internal */
export interface QualitySamplerContext {
  store: StateStore<SessionState>;
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void;
  media: LocalMedia;
  /** The session's backend now (a sample taken from a replaced backend is dropped). */
  backend(): MediaBackend | undefined;
}

/** @internal */
export class QualitySampler {
  private readonly ctx: QualitySamplerContext;
  private readonly lastStats = new Map<string, BackendStats>();
  private readonly trackers = new Map<string, QualityTracker>();
  private readonly advisor = new AudioOnlyAdvisor();

  constructor(ctx: QualitySamplerContext) {
    this.ctx = ctx;
  }

  /** Drops the history of a participant who left. */
  forget(connectionId: string): void {
    this.lastStats.delete(connectionId);
    this.trackers.delete(connectionId);
  }

  /** Samples every participant once through `backend`. */
  async sample(backend: MediaBackend): Promise<void> {
    const { store, media } = this.ctx;
    const audioOnly = media.state.audioOnly;
    const results = await Promise.all(
      store.state.participants.map(async (p) => {
        const stats = await backend.getStats(p.id).catch(() => undefined);
        if (!stats) return [p.id, undefined] as const;
        const previous = this.lastStats.get(p.id);
        this.lastStats.set(p.id, stats);
        let tracker = this.trackers.get(p.id);
        if (!tracker) this.trackers.set(p.id, (tracker = new QualityTracker()));
        const computed = computeQuality(previous, stats, !audioOnly && p.videoEnabled, tracker);
        // A media server that grades quality itself (LiveKit) is believed over the classifier.
        const quality = stats.level ? { ...computed, level: stats.level } : computed;
        return [p.id, quality] as const;
      }),
    );
    if (this.ctx.backend() !== backend) return;
    let localLevel: Participant['quality']['level'] = 'unknown';
    const remoteLevels: Participant['quality']['level'][] = [];
    store.update((s) => {
      let participants = s.participants;
      for (const [id, quality] of results) {
        if (!quality) continue;
        const p = participants.find((x) => x.id === id);
        if (p?.isLocal) localLevel = quality.level;
        else if (p && quality.level !== 'unknown') remoteLevels.push(quality.level);
        participants = patchParticipant(participants, id, (x) => {
          const q = x.quality;
          const same =
            q.level === quality.level &&
            q.roundTripMs === quality.roundTripMs &&
            q.packetLoss === quality.packetLoss &&
            q.bitrateKbps === quality.bitrateKbps &&
            q.jitterMs === quality.jitterMs;
          return same ? x : { ...x, quality };
        });
      }
      return participants === s.participants ? s : { ...s, participants };
    });
    if (this.advisor.observe(localLevel, remoteLevels) && !audioOnly) {
      media.setAudioOnlySuggested(true);
      const local = store.state.participants.find((p) => p.isLocal);
      this.ctx.emit('audioOnlySuggested', { quality: local?.quality ?? { level: 'poor' } });
    }
  }
}
