/**
 * WebRTC statistics → {@link BackendStats}, shared by the OpenVidu and LiveKit backends.
 * @packageDocumentation
 */
import type { BackendStats } from '../backend.js';

function num(stat: Record<string, unknown>, key: string): number | undefined {
  const v = stat[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Cumulative counters and network signals gathered from one report. */
interface StatsTally {
  packetsLost: number;
  packetsReceived: number;
  packetsSent: number;
  bytes: number;
  remoteRtt?: number;
  /** Jitter in seconds per kind (the largest stream of that kind). */
  jitter: { audio?: number; video?: number };
  limitation?: string;
  targetBps?: number;
  freezeCount?: number;
  freezeSeconds?: number;
}

const maxOf = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);
const sumOf = (a: number | undefined, b: number | undefined): number | undefined =>
  b === undefined ? a : (a ?? 0) + b;

function tallyRtp(t: StatsTally, s: Record<string, unknown>, direction: 'send' | 'receive'): void {
  const kind = s['kind'] === 'audio' ? 'audio' : 'video';
  switch (s['type']) {
    case 'outbound-rtp':
      t.packetsSent += num(s, 'packetsSent') ?? 0;
      if (direction !== 'send') break;
      t.bytes += num(s, 'bytesSent') ?? 0;
      t.targetBps = sumOf(t.targetBps, num(s, 'targetBitrate'));
      if (kind === 'video' && typeof s['qualityLimitationReason'] === 'string')
        t.limitation = t.limitation === 'bandwidth' ? t.limitation : s['qualityLimitationReason'];
      break;
    case 'inbound-rtp':
      if (direction !== 'receive') break;
      t.packetsLost += Math.max(0, num(s, 'packetsLost') ?? 0);
      t.packetsReceived += num(s, 'packetsReceived') ?? 0;
      t.bytes += num(s, 'bytesReceived') ?? 0;
      t.jitter[kind] = maxOf(t.jitter[kind], num(s, 'jitter'));
      if (kind === 'video') {
        t.freezeCount = sumOf(t.freezeCount, num(s, 'freezeCount'));
        t.freezeSeconds = sumOf(t.freezeSeconds, num(s, 'totalFreezesDuration'));
      }
      break;
    case 'remote-inbound-rtp':
      if (direction !== 'send') break;
      t.packetsLost += Math.max(0, num(s, 'packetsLost') ?? 0);
      t.remoteRtt ??= num(s, 'roundTripTime');
      t.jitter[kind] = maxOf(t.jitter[kind], num(s, 'jitter'));
      break;
    default:
      break;
  }
}

/**
 * Reads an RTCStatsReport into {@link BackendStats}; `send` for a publisher, `receive` for a
 * subscriber. Fields a browser does not report (Firefox: `qualityLimitationReason`,
 * `availableOutgoingBitrate`, freeze counters) stay undefined.
 */
export function summarizeStats(
  report: RTCStatsReport,
  direction: 'send' | 'receive',
  now: number,
): BackendStats {
  const stats: Record<string, unknown>[] = [];
  report.forEach((value: Record<string, unknown>) => stats.push(value));
  const byId = new Map(stats.map((s) => [s['id'], s] as const));
  const t: StatsTally = {
    packetsLost: 0,
    packetsReceived: 0,
    packetsSent: 0,
    bytes: 0,
    jitter: {},
  };
  let pair: Record<string, unknown> | undefined;
  for (const s of stats) {
    if (s['type'] === 'transport') {
      const selected = byId.get(s['selectedCandidatePairId']);
      if (selected) pair = selected;
    } else tallyRtp(t, s, direction);
  }
  pair ??= stats.find(
    (s) => s['type'] === 'candidate-pair' && s['state'] === 'succeeded' && s['nominated'],
  );
  const local = pair && byId.get(pair['localCandidateId']);
  const candidateType =
    local && typeof local['candidateType'] === 'string' ? local['candidateType'] : undefined;
  const relayCandidate = stats.some(
    (s) => s['type'] === 'local-candidate' && s['candidateType'] === 'relay',
  );
  // The ICE pair's RTT (STUN checks) first: the RTCP-based one depends on the server's reports.
  const rttSeconds = (pair && num(pair, 'currentRoundTripTime')) ?? t.remoteRtt;
  const jitterSeconds = t.jitter.audio ?? t.jitter.video;
  const available =
    direction === 'send' && pair ? num(pair, 'availableOutgoingBitrate') : undefined;
  const packetsReceived =
    direction === 'send' ? Math.max(0, t.packetsSent - t.packetsLost) : t.packetsReceived;
  const kbps = (bps: number | undefined) => (bps === undefined ? undefined : bps / 1000);
  const optional: Partial<BackendStats> = {
    roundTripMs: rttSeconds === undefined ? undefined : Math.round(rttSeconds * 1000),
    rttTotalSeconds: pair && num(pair, 'totalRoundTripTime'),
    rttResponses: pair && num(pair, 'responsesReceived'),
    jitterMs: jitterSeconds === undefined ? undefined : jitterSeconds * 1000,
    qualityLimitationReason: t.limitation,
    availableOutgoingKbps: kbps(available),
    targetKbps: kbps(t.targetBps),
    freezeCount: t.freezeCount,
    totalFreezesMs: t.freezeSeconds === undefined ? undefined : t.freezeSeconds * 1000,
    candidateType,
    relayCandidate: stats.some((s) => s['type'] === 'local-candidate') ? relayCandidate : undefined,
  };
  const result: BackendStats = {
    packetsLost: t.packetsLost,
    packetsReceived,
    packetsSent: direction === 'send' ? t.packetsSent : 0,
    bytes: t.bytes,
    timestamp: now,
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (result as unknown as Record<string, unknown>)[key] = value;
  return result;
}
