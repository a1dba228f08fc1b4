import type { IceCandidate } from './types.js';

/** How long a candidate may wait for its endpoint before it is dropped. */
const PENDING_TTL_MS = 60_000;
/** Per-endpoint cap; browsers produce a handful per m-line, a misbehaving client must not grow memory. */
const PENDING_MAX_PER_ENDPOINT = 64;

interface PendingCandidate {
  candidate: IceCandidate;
  /** `ufrag` attribute of the candidate line, when the browser includes one (Chrome, Safari do). */
  ufrag: string | undefined;
  at: number;
}

/** Reads the `ufrag <x>` attribute that Chromium and WebKit append to candidate lines. */
export function candidateUfrag(candidate: string): string | undefined {
  const match = /\bufrag (\S+)/.exec(candidate);
  return match?.[1];
}

/** Reads the first `a=ice-ufrag:` of an SDP (all m-lines share it under BUNDLE). */
export function sdpUfrag(sdp: string): string | undefined {
  const match = /^a=ice-ufrag:(\S+)/m.exec(sdp);
  return match?.[1];
}

/** True for the end-of-candidates marker (`candidate: ""`) browsers send after gathering. */
export function isEndOfCandidates(candidate: IceCandidate): boolean {
  return candidate.candidate.trim() === '';
}

/**
 * Candidates that arrived before their endpoint's peer connection could take them. Keyed by endpoint id;
 * when a candidate carries a ufrag, it is only released to a peer connection whose remote ufrag matches,
 * so candidates of a browser's *new* peer connection (reconnectStream) never reach the old one.
 */
export class PendingCandidates {
  private readonly byEndpoint = new Map<string, PendingCandidate[]>();

  add(endpointId: string, candidate: IceCandidate, now = Date.now()): void {
    this.prune(now);
    let list = this.byEndpoint.get(endpointId);
    if (!list) {
      list = [];
      this.byEndpoint.set(endpointId, list);
    }
    list.push({ candidate, ufrag: candidateUfrag(candidate.candidate), at: now });
    if (list.length > PENDING_MAX_PER_ENDPOINT) list.shift();
  }

  /** Removes and returns the candidates meant for a peer connection whose remote ufrag is `ufrag`. */
  take(endpointId: string, ufrag: string | undefined): IceCandidate[] {
    const list = this.byEndpoint.get(endpointId);
    if (!list) return [];
    const taken: IceCandidate[] = [];
    const kept: PendingCandidate[] = [];
    for (const entry of list) {
      if (entry.ufrag === undefined || ufrag === undefined || entry.ufrag === ufrag)
        taken.push(entry.candidate);
      else kept.push(entry);
    }
    if (kept.length > 0) this.byEndpoint.set(endpointId, kept);
    else this.byEndpoint.delete(endpointId);
    return taken;
  }

  delete(endpointId: string): void {
    this.byEndpoint.delete(endpointId);
  }

  get size(): number {
    let n = 0;
    for (const list of this.byEndpoint.values()) n += list.length;
    return n;
  }

  clear(): void {
    this.byEndpoint.clear();
  }

  private prune(now: number): void {
    for (const [endpointId, list] of this.byEndpoint) {
      const fresh = list.filter((entry) => now - entry.at < PENDING_TTL_MS);
      if (fresh.length === 0) this.byEndpoint.delete(endpointId);
      else if (fresh.length !== list.length) this.byEndpoint.set(endpointId, fresh);
    }
  }
}
