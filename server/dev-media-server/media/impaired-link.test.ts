/**
 * The impairment scheduler: seeded loss, delay, jitter without reordering, the rate cap and its
 * queue limit, with a manual clock; and the pass-through wrapper on werift-like UDP transports.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LinkClock } from './impaired-link.js';
import { ImpairedLink, linkImpairer, RATE_QUEUE_LIMIT_MS, seededRandom } from './impaired-link.js';
import type { LinkImpairment } from './types.js';

class ManualClock implements LinkClock {
  time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}

const off: LinkImpairment = { lossPercent: 0, delayMs: 0, jitterMs: 0, rateKbps: 0 };

function run(impairment: LinkImpairment, count: number, seed = 1, spacingMs = 10, bytes = 1000) {
  const clock = new ManualClock();
  const link = new ImpairedLink(seededRandom(seed), clock);
  const arrivals: { n: number; at: number }[] = [];
  for (let n = 0; n < count; n++) {
    link.pass(bytes, impairment, () => arrivals.push({ n, at: clock.now() }));
    clock.advance(spacingMs);
  }
  clock.advance(60_000);
  return { arrivals, link, clock };
}

void describe('ImpairedLink', () => {
  void it('passes datagrams at once without impairment', () => {
    const { arrivals, clock } = run(off, 3);
    assert.deepEqual(arrivals, [
      { n: 0, at: 0 },
      { n: 1, at: 10 },
      { n: 2, at: 20 },
    ]);
    assert.equal(clock.pending, 0);
  });

  void it('drops the same datagrams for the same seed, about the asked share', () => {
    const first = run({ ...off, lossPercent: 10 }, 2000, 42);
    const again = run({ ...off, lossPercent: 10 }, 2000, 42);
    const other = run({ ...off, lossPercent: 10 }, 2000, 7);
    assert.deepEqual(first.arrivals, again.arrivals);
    assert.notDeepEqual(first.arrivals, other.arrivals);
    const lost = 2000 - first.arrivals.length;
    assert.equal(first.link.dropped.loss, lost);
    assert.ok(lost > 160 && lost < 240, `lost ${lost} of 2000 at 10 %`);
    assert.equal(run({ ...off, lossPercent: 100 }, 50).arrivals.length, 0);
  });

  void it('delays every datagram and keeps their order under jitter', () => {
    const delayed = run({ ...off, delayMs: 200 }, 5);
    assert.deepEqual(
      delayed.arrivals.map((a) => a.at),
      [200, 210, 220, 230, 240],
    );
    const jittery = run({ ...off, delayMs: 100, jitterMs: 50 }, 200, 3, 5);
    const ats = jittery.arrivals.map((a) => a.at);
    assert.deepEqual(
      jittery.arrivals.map((a) => a.n),
      [...Array(200).keys()],
    );
    for (let i = 1; i < ats.length; i++) assert.ok(ats[i]! >= ats[i - 1]!, 'no reordering');
    const extra = jittery.arrivals.map((a) => a.at - a.n * 5 - 100);
    assert.ok(Math.min(...extra) >= 0);
    assert.ok(Math.max(...extra) > 25, 'jitter spreads the arrivals');
  });

  void it('serialises at the rate cap and drops past the queue limit', () => {
    // 1000-byte datagrams every 10 ms = 800 kbit/s into a 400 kbit/s link: 20 ms each.
    const { arrivals, link } = run({ ...off, rateKbps: 400 }, 100);
    assert.deepEqual(
      arrivals.slice(0, 3).map((a) => a.at),
      [20, 40, 60],
    );
    assert.ok(link.dropped.queue > 0, 'the queue overflows');
    const waits = arrivals.map((a) => a.at - a.n * 10);
    assert.ok(Math.max(...waits) <= RATE_QUEUE_LIMIT_MS + 20, `max wait ${Math.max(...waits)}`);
    // Half the offered rate gets through, give or take the queue.
    assert.ok(arrivals.length >= 48 && arrivals.length <= 70, `${arrivals.length} delivered`);
  });

  void it('delivers what is queued in order after the impairment is cleared', () => {
    const clock = new ManualClock();
    const link = new ImpairedLink(seededRandom(1), clock);
    const got: string[] = [];
    link.pass(10, { ...off, delayMs: 100 }, () => got.push('a'));
    link.pass(10, undefined, () => got.push('b'));
    assert.equal(got.length, 0);
    clock.advance(100);
    assert.deepEqual(got, ['a', 'b']);
    link.pass(10, undefined, () => got.push('c'));
    assert.deepEqual(got, ['a', 'b', 'c']);
  });

  void it('clears its timer and queue on close', () => {
    const clock = new ManualClock();
    const link = new ImpairedLink(seededRandom(1), clock);
    const got: number[] = [];
    link.pass(10, { ...off, delayMs: 100 }, () => got.push(1));
    assert.equal(clock.pending, 1);
    link.close();
    assert.equal(clock.pending, 0);
    clock.advance(200);
    link.pass(10, undefined, () => got.push(2));
    assert.deepEqual(got, []);
  });
});

void describe('linkImpairer', () => {
  void it('wraps each UDP transport once, both ways, passing through without impairment', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const received: string[] = [];
    const transport = {
      closed: false,
      send: (data: Buffer, _addr?: [string, number]) => {
        sent.push(data.toString());
        return Promise.resolve();
      },
      onData: (data: Buffer, _addr: [string, number]) => {
        received.push(data.toString());
      },
    };
    const pc = { iceTransports: [{ connection: { protocols: [{ transport }] } }] };
    let impairment: LinkImpairment | undefined;
    const impairer = linkImpairer(pc, () => impairment, seededRandom(1), clock);
    impairer.attach();
    impairer.attach();
    await transport.send(Buffer.from('s1'));
    transport.onData(Buffer.from('r1'), ['127.0.0.1', 1]);
    assert.deepEqual([sent, received], [['s1'], ['r1']]);
    impairment = { ...off, delayMs: 50 };
    await transport.send(Buffer.from('s2'));
    transport.onData(Buffer.from('r2'), ['127.0.0.1', 1]);
    assert.deepEqual([sent, received], [['s1'], ['r1']]);
    clock.advance(50);
    assert.deepEqual(
      [sent, received],
      [
        ['s1', 's2'],
        ['r1', 'r2'],
      ],
    );
    impairment = { ...off, delayMs: 50 };
    await transport.send(Buffer.from('s3'));
    impairer.close();
    assert.equal(clock.pending, 0);
  });
});
