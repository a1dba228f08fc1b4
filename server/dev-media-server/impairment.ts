/**
 * Network impairment rules of the dev media server: one for every connection (`--impair`), one per
 * session and one per connection (REST `PUT /openvidu/api/dev/impairment`). The most specific rule
 * applies: connection, then session, then the server-wide one. The media plane asks
 * {@link ImpairmentRules.forEndpoint} for each datagram (see media/impaired-link.ts).
 */
import { connectionIdOfStream } from './ids.js';
import type { LinkImpairment } from './media/types.js';

export type { LinkImpairment } from './media/types.js';

/** Upper bounds of the knobs (a dev tool, not a WAN emulator: beyond these nothing works anyway). */
export const IMPAIRMENT_LIMITS = {
  lossPercent: 100,
  delayMs: 10_000,
  jitterMs: 10_000,
  rateKbps: 10_000_000,
} as const;

export class ImpairmentError extends Error {
  override readonly name = 'ImpairmentError';
}

const NONE: LinkImpairment = { lossPercent: 0, delayMs: 0, jitterMs: 0, rateKbps: 0 };

/** Checks a complete impairment's ranges; throws {@link ImpairmentError} naming the knob. */
export function checkImpairment(impairment: LinkImpairment): LinkImpairment {
  for (const key of Object.keys(IMPAIRMENT_LIMITS) as (keyof LinkImpairment)[]) {
    const value = impairment[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new ImpairmentError(`${key} must be a number ≥ 0`);
    if (value > IMPAIRMENT_LIMITS[key])
      throw new ImpairmentError(`${key} must be at most ${IMPAIRMENT_LIMITS[key]}`);
  }
  return impairment;
}

const UNITS: Record<string, { key: keyof LinkImpairment; units: Record<string, number> }> = {
  loss: { key: 'lossPercent', units: { '%': 1 } },
  delay: { key: 'delayMs', units: { ms: 1, s: 1000 } },
  jitter: { key: 'jitterMs', units: { ms: 1, s: 1000 } },
  rate: { key: 'rateKbps', units: { kbit: 1, mbit: 1000, kbps: 1, mbps: 1000 } },
};

/**
 * Parses `loss=5%,delay=200ms,jitter=30ms,rate=300kbit` (any subset, each knob once; units: `%`;
 * `ms`/`s`; `kbit`/`mbit`). Throws {@link ImpairmentError} with a message fit for the command line.
 */
export function parseImpairment(spec: string): LinkImpairment {
  const result: LinkImpairment = { ...NONE };
  const seen = new Set<string>();
  const parts = spec.split(',').map((p) => p.trim());
  if (spec.trim() === '' || parts.some((p) => p === ''))
    throw new ImpairmentError('expected knob=value pairs, e.g. loss=5%,delay=200ms');
  for (const part of parts) {
    const m = /^([a-z]+)=(\d+(?:\.\d+)?)([a-z%]*)$/i.exec(part);
    const name = m?.[1]?.toLowerCase() ?? part.split('=')[0] ?? part;
    const knob = UNITS[name];
    if (!knob)
      throw new ImpairmentError(`unknown knob "${name}" (expected loss, delay, jitter or rate)`);
    if (seen.has(name)) throw new ImpairmentError(`"${name}" is given twice`);
    seen.add(name);
    const unit = m?.[3]?.toLowerCase() ?? '';
    const factor = knob.units[unit];
    if (!m || factor === undefined)
      throw new ImpairmentError(
        `"${part}": ${name} takes a number with one of ${Object.keys(knob.units).join(', ')}, e.g. ${EXAMPLE[name]}`,
      );
    result[knob.key] = Number(m[2]) * factor;
  }
  return checkImpairment(result);
}

const EXAMPLE: Record<string, string> = {
  loss: 'loss=5%',
  delay: 'delay=200ms',
  jitter: 'jitter=30ms',
  rate: 'rate=300kbit',
};

/** A rule as REST shows it. */
export interface ImpairmentRule extends LinkImpairment {
  scope: 'server' | 'session' | 'connection';
  sessionId?: string;
  connectionId?: string;
}

const isOff = (i: LinkImpairment): boolean =>
  i.lossPercent === 0 && i.delayMs === 0 && i.jitterMs === 0 && i.rateKbps === 0;

export class ImpairmentRules {
  private server: LinkImpairment | undefined;
  private readonly bySession = new Map<string, LinkImpairment>();
  private readonly byConnection = new Map<string, LinkImpairment>();

  /** `sessionOf(connectionId)`: the session a connection belongs to, for session rules. */
  constructor(
    private readonly sessionOf: (connectionId: string) => string | undefined,
    initial?: LinkImpairment,
  ) {
    if (initial) this.set({}, initial);
  }

  /** Sets (or, with an all-zero impairment, clears) the rule of a scope. */
  set(scope: { sessionId?: string; connectionId?: string }, impairment: LinkImpairment): void {
    const value = isOff(impairment) ? undefined : { ...checkImpairment(impairment) };
    if (scope.connectionId !== undefined) {
      if (value) this.byConnection.set(scope.connectionId, value);
      else this.byConnection.delete(scope.connectionId);
    } else if (scope.sessionId !== undefined) {
      if (value) this.bySession.set(scope.sessionId, value);
      else this.bySession.delete(scope.sessionId);
    } else this.server = value;
  }

  /** Clears the rule of a scope (the server-wide one without ids). */
  clear(scope: { sessionId?: string; connectionId?: string }): void {
    this.set(scope, NONE);
  }

  /** The rule for a connection: its own, its session's, or the server's. */
  forConnection(connectionId: string): LinkImpairment | undefined {
    const own = this.byConnection.get(connectionId);
    if (own) return own;
    if (this.bySession.size > 0) {
      const sessionId = this.sessionOf(connectionId);
      const session = sessionId !== undefined ? this.bySession.get(sessionId) : undefined;
      if (session) return session;
    }
    return this.server;
  }

  /**
   * The rule for a media endpoint: a publisher (stream id) is its publisher's connection, a
   * subscriber (`subscriber<-publisher`) the receiving connection — the browser whose link it is.
   */
  forEndpoint(endpointId: string): LinkImpairment | undefined {
    if (!this.server && this.bySession.size === 0 && this.byConnection.size === 0) return undefined;
    const arrow = endpointId.indexOf('<-');
    const connectionId = arrow >= 0 ? endpointId.slice(0, arrow) : connectionIdOfStream(endpointId);
    return connectionId !== undefined ? this.forConnection(connectionId) : this.server;
  }

  list(): ImpairmentRule[] {
    const rules: ImpairmentRule[] = [];
    if (this.server) rules.push({ scope: 'server', ...this.server });
    for (const [sessionId, i] of this.bySession) rules.push({ scope: 'session', sessionId, ...i });
    for (const [connectionId, i] of this.byConnection)
      rules.push({ scope: 'connection', connectionId, ...i });
    return rules;
  }
}
