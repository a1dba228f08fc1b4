/**
 * Connection quality from WebRTC statistics. OpenVidu 2 CE sends no network-quality events, so the
 * client samples `MediaBackend.getStats()` (every {@link QUALITY_SAMPLE_INTERVAL_MS}) and classifies
 * each sample with the table {@link QUALITY_THRESHOLDS}.
 * @packageDocumentation
 */
import type { BackendStats } from './backend.js';
import type { ConnectionQuality, QualityLevel } from './types.js';

import { AUDIO_ONLY_SUGGESTION_SAMPLES } from './quality-constants.js';

export { AUDIO_ONLY_SUGGESTION_SAMPLES, QUALITY_SAMPLE_INTERVAL_MS } from './quality-constants.js';

/**
 * Thresholds, worst level first; a sample takes the first level any of whose limits it crosses.
 * - `roundTripMs`: round-trip time at or above this.
 * - `packetLoss`: share of packets lost in the last interval at or above this (0–1).
 * - `minVideoKbps`: bitrate below this while video is flowing (audio alone is ~30–50 kbit/s, so
 *   bitrate only counts when video is expected).
 *
 * The values follow common WebRTC guidance: above ~300 ms RTT conversation becomes awkward, and
 * above ~10 % loss video freezes even with FEC/NACK; 2–3 % loss and >150 ms RTT are noticeable.
 * @public
 */
export const QUALITY_THRESHOLDS: ReadonlyArray<{
  level: Exclude<QualityLevel, 'good' | 'unknown'>;
  roundTripMs: number;
  packetLoss: number;
  minVideoKbps: number;
}> = [
  { level: 'poor', roundTripMs: 400, packetLoss: 0.1, minVideoKbps: 100 },
  { level: 'fair', roundTripMs: 200, packetLoss: 0.03, minVideoKbps: 300 },
];

/** Metrics of one interval. @public */
export interface QualityMetrics {
  roundTripMs?: number;
  packetLoss?: number;
  bitrateKbps?: number;
}

/**
 * Classifies one interval's metrics with {@link QUALITY_THRESHOLDS}.
 * @public
 */
export function classifyQuality(metrics: QualityMetrics, videoExpected: boolean): QualityLevel {
  const { roundTripMs, packetLoss, bitrateKbps } = metrics;
  if (roundTripMs === undefined && packetLoss === undefined && bitrateKbps === undefined) {
    return 'unknown';
  }
  for (const t of QUALITY_THRESHOLDS) {
    if (roundTripMs !== undefined && roundTripMs >= t.roundTripMs) return t.level;
    if (packetLoss !== undefined && packetLoss >= t.packetLoss) return t.level;
    if (videoExpected && bitrateKbps !== undefined && bitrateKbps < t.minVideoKbps) return t.level;
  }
  return 'good';
}

/**
 * Turns two cumulative samples into interval metrics: loss = lost / (lost + received) over the
 * interval (or lost / sent for a publisher, whose loss comes from the receiver's reports),
 * bitrate = bytes × 8 / ms.
 * @public
 */
export function intervalMetrics(
  previous: BackendStats | undefined,
  current: BackendStats,
): QualityMetrics {
  const metrics: QualityMetrics = {};
  if (current.roundTripMs !== undefined) metrics.roundTripMs = current.roundTripMs;
  if (!previous) return metrics;
  const ms = current.timestamp - previous.timestamp;
  const lost = Math.max(0, current.packetsLost - previous.packetsLost);
  const received = Math.max(0, current.packetsReceived - previous.packetsReceived);
  const sent = Math.max(0, current.packetsSent - previous.packetsSent);
  const total = received > 0 ? received + lost : sent;
  if (total > 0) metrics.packetLoss = Math.min(1, lost / total);
  if (ms > 0) metrics.bitrateKbps = (Math.max(0, current.bytes - previous.bytes) * 8) / ms;
  return metrics;
}

/** One participant's quality from two samples. @public */
export function computeQuality(
  previous: BackendStats | undefined,
  current: BackendStats,
  videoExpected: boolean,
): ConnectionQuality {
  const metrics = intervalMetrics(previous, current);
  return { level: classifyQuality(metrics, videoExpected), ...metrics };
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
