/**
 * The pre-call test's verdict: a pure function of the devices, the speaker answer and the network
 * numbers. Loaded with the pre-call test, not part of the core bundle.
 *
 * The round-trip, loss and jitter limits are the in-call quality indicator's (`quality.ts`), so a
 * patient whose test reads "good" does not see "poor" in the call on the same network. The round
 * trip is to the media server and back, which is what a call through it adds. Bitrate is judged only where it says something about the
 * network: a fake or still camera encodes little on a perfect link, so a low send rate alone is
 * not a bad network; the browser's bandwidth estimate is.
 * @packageDocumentation
 */
import type { MediaDeviceFailure } from './errors.js';
import type {
  PrecheckAdvice,
  PrecheckDeviceResult,
  PrecheckNetworkResult,
  PrecheckSpeakerResult,
  PrecheckVerdict,
} from './precheck-types.js';

/** Network limits: at or above `fair` reads fair, at or above `poor` reads poor. @internal */
export const PRECHECK_LIMITS = {
  roundTripMs: { fair: 200, poor: 400 },
  lossPercent: { fair: 3, poor: 10 },
  jitterMs: { fair: 50, poor: 100 },
  /** Below these (kbit/s) the estimate of available upload bandwidth reads fair / poor. */
  availableUpKbps: { fair: 300, poor: 120 },
  /** Received bitrate below this is no usable video at all. */
  downKbps: { poor: 30 },
} as const;

const RANK: Record<PrecheckVerdict, number> = { good: 0, fair: 1, poor: 2 };

function worst(a: PrecheckVerdict, b: PrecheckVerdict): PrecheckVerdict {
  return RANK[a] >= RANK[b] ? a : b;
}

function deviceAdvice(
  device: 'camera' | 'microphone',
  status: 'ok' | MediaDeviceFailure,
): PrecheckAdvice | undefined {
  switch (status) {
    case 'ok':
      return undefined;
    case 'permission-denied':
    case 'insecure-context':
      return `${device}-permission`;
    case 'device-not-found':
      return `${device}-not-found`;
    case 'device-in-use':
      return `${device}-in-use`;
    default:
      return `${device}-failed`;
  }
}

/** Grades one measure against its limits (lower is better). */
function grade(value: number | undefined, limits: { fair: number; poor: number }): PrecheckVerdict {
  if (value === undefined) return 'good';
  return value >= limits.poor ? 'poor' : value >= limits.fair ? 'fair' : 'good';
}

/** The network's verdict and advice. @internal */
export function networkVerdict(network: PrecheckNetworkResult): {
  verdict: PrecheckVerdict;
  advice: PrecheckAdvice[];
} {
  if (network.status === 'failed') return { verdict: 'poor', advice: ['media-server-unreachable'] };
  if (network.status === 'skipped') return { verdict: 'good', advice: [] };
  const graded: [PrecheckAdvice, PrecheckVerdict][] = [
    ['high-latency', grade(network.roundTripMs, PRECHECK_LIMITS.roundTripMs)],
    ['packet-loss', grade(network.lossPercent, PRECHECK_LIMITS.lossPercent)],
    ['jitter', grade(network.jitterMs, PRECHECK_LIMITS.jitterMs)],
  ];
  const up = network.availableUpKbps;
  let bandwidth: PrecheckVerdict =
    up === undefined
      ? 'good'
      : up < PRECHECK_LIMITS.availableUpKbps.poor
        ? 'poor'
        : up < PRECHECK_LIMITS.availableUpKbps.fair
          ? 'fair'
          : 'good';
  if (network.downKbps !== undefined && network.downKbps < PRECHECK_LIMITS.downKbps.poor)
    bandwidth = 'poor';
  graded.push(['low-bandwidth', bandwidth]);
  if (network.turn === 'unreachable') graded.push(['turn-unreachable', 'fair']);
  // Worst first, so the advice list leads with what matters most.
  graded.sort((a, b) => RANK[b[1]] - RANK[a[1]]);
  let verdict: PrecheckVerdict = 'good';
  const advice: PrecheckAdvice[] = [];
  for (const [key, v] of graded) {
    verdict = worst(verdict, v);
    if (v !== 'good') advice.push(key);
  }
  return { verdict, advice };
}

/**
 * The overall verdict: poor without a working microphone or media path, fair without a camera or
 * speaker (an audio-only or chat call still works), otherwise the network's.
 * @internal
 */
export function precheckVerdict(input: {
  camera: PrecheckDeviceResult;
  microphone: PrecheckDeviceResult;
  speaker: PrecheckSpeakerResult;
  network: PrecheckNetworkResult;
}): { verdict: PrecheckVerdict; advice: PrecheckAdvice[] } {
  const advice: PrecheckAdvice[] = [];
  let verdict: PrecheckVerdict = 'good';
  const mic = deviceAdvice('microphone', input.microphone.status);
  if (mic) {
    advice.push(mic);
    verdict = 'poor';
  }
  const camera = deviceAdvice('camera', input.camera.status);
  if (camera) {
    advice.push(camera);
    verdict = worst(verdict, 'fair');
  }
  if (input.speaker === 'not-heard') {
    advice.push('speaker');
    verdict = worst(verdict, 'fair');
  }
  const network = networkVerdict(input.network);
  return { verdict: worst(verdict, network.verdict), advice: [...advice, ...network.advice] };
}
