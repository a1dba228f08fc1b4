/**
 * Network impairment on the media path: every UDP datagram a werift peer connection sends or
 * receives (RTP, RTCP, STUN, DTLS) passes an {@link ImpairedLink} per direction, which drops,
 * delays and rate-limits it as the current {@link LinkImpairment} says. Because STUN answers and
 * RTCP reports are delayed like media, the browser's round-trip time grows by twice the delay.
 */
import type { LinkImpairment } from './types.js';

/** Longest a datagram waits for the rate cap before it is dropped (a router's queue). */
export const RATE_QUEUE_LIMIT_MS = 300;

export interface LinkClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: LinkClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export { seededRandom } from '../../shared/random.js';

interface Queued {
  due: number;
  deliver: () => void;
}

/**
 * One direction of one link. Datagrams leave in order (jitter never reorders): loss first, then the
 * rate cap (serialisation at `rateKbps`, tail drop past {@link RATE_QUEUE_LIMIT_MS} of queue), then
 * `delayMs` plus a uniform 0…`jitterMs`.
 */
export class ImpairedLink {
  /** Datagrams dropped by loss / by the rate cap's queue. */
  dropped = { loss: 0, queue: 0 };
  private readonly queue: Queued[] = [];
  private timer: unknown;
  private linkFreeAt = 0;
  private lastDue = 0;
  private closed = false;

  constructor(
    private readonly random: () => number,
    private readonly clock: LinkClock = realClock,
  ) {}

  /** Datagrams waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** Passes one datagram of `bytes`; `deliver` runs now, later or never. */
  pass(bytes: number, impairment: LinkImpairment | undefined, deliver: () => void): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (!impairment) {
      if (this.queue.length === 0) deliver();
      else this.enqueue(Math.max(now, this.lastDue), deliver);
      return;
    }
    if (impairment.lossPercent > 0 && this.random() * 100 < impairment.lossPercent) {
      this.dropped.loss++;
      return;
    }
    let departs = now;
    if (impairment.rateKbps > 0) {
      const start = Math.max(now, this.linkFreeAt);
      if (start - now > RATE_QUEUE_LIMIT_MS) {
        this.dropped.queue++;
        return;
      }
      // kbit/s is bits per millisecond.
      this.linkFreeAt = start + (bytes * 8) / impairment.rateKbps;
      departs = this.linkFreeAt;
    }
    const jitter = impairment.jitterMs > 0 ? this.random() * impairment.jitterMs : 0;
    const due = Math.max(departs + impairment.delayMs + jitter, this.lastDue);
    if (due <= now && this.queue.length === 0) {
      deliver();
      return;
    }
    this.enqueue(due, deliver);
  }

  /** Drops what is queued and stops the timer. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueue(due: number, deliver: () => void): void {
    this.lastDue = due;
    this.queue.push({ due, deliver });
    if (this.queue.length === 1) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head || this.closed) return;
    this.timer = this.clock.setTimeout(
      () => this.flush(),
      Math.max(0, head.due - this.clock.now()),
    );
  }

  private flush(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.queue.length > 0 && (this.queue[0]?.due ?? Infinity) <= now) {
      const item = this.queue.shift();
      try {
        item?.deliver();
      } catch {
        // A socket closed under a delayed datagram: it is lost, as on a real link.
      }
    }
    this.arm();
  }
}

/** The parts of werift's UDP transport this file wraps (`send` and `onData` are plain properties). */
interface UdpLike {
  closed: boolean;
  send(data: Buffer, addr?: [string, number]): Promise<void>;
  onData(data: Buffer, addr: [string, number]): void;
}

interface PeerLike {
  iceTransports: { connection: { protocols: { transport?: unknown }[] } }[];
}

/**
 * Impairs a werift peer connection's UDP transports both ways with what `current()` answers at
 * each datagram. `attach()` wraps transports not wrapped yet (call it after gathering and again
 * when connected); `close()` stops the links' timers.
 */
export function linkImpairer(
  pc: unknown,
  current: () => LinkImpairment | undefined,
  random: () => number,
  clock?: LinkClock,
): { attach(): void; close(): void } {
  const wrapped = new WeakSet<object>();
  const links: ImpairedLink[] = [];
  return {
    attach() {
      for (const ice of (pc as PeerLike).iceTransports ?? []) {
        for (const protocol of ice.connection?.protocols ?? []) {
          const transport = protocol.transport as UdpLike | undefined;
          if (!transport || typeof transport.send !== 'function' || wrapped.has(transport))
            continue;
          wrapped.add(transport);
          const out = new ImpairedLink(random, clock);
          const inbound = new ImpairedLink(random, clock);
          links.push(out, inbound);
          const send = transport.send.bind(transport);
          const onData = transport.onData.bind(transport);
          transport.send = (data, addr) => {
            const impairment = current();
            if (!impairment && out.pending === 0) return send(data, addr);
            out.pass(data.length, impairment, () => {
              if (!transport.closed) send(data, addr).catch(() => undefined);
            });
            return Promise.resolve();
          };
          transport.onData = (data, addr) => {
            const impairment = current();
            if (!impairment && inbound.pending === 0) return onData(data, addr);
            inbound.pass(data.length, impairment, () => {
              if (!transport.closed) onData(data, addr);
            });
          };
        }
      }
    },
    close() {
      for (const link of links) link.close();
      links.length = 0;
    },
  };
}
