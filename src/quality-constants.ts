/**
 * Quality sampling constants, apart from `quality.ts` so the session can read them without loading
 * the classifier, which it imports only once a call is up.
 * @packageDocumentation
 */

/** How often WebRTC statistics are sampled; each sample classifies the interval since the previous one. @public */
export const QUALITY_SAMPLE_INTERVAL_MS = 2000;

/**
 * Consecutive samples at the shown level `poor` (after smoothing: see docs/events.md, "Connection
 * quality") before audio-only is suggested (3 × 2 s = 6 s). @public
 */
export const AUDIO_ONLY_SUGGESTION_SAMPLES = 3;
