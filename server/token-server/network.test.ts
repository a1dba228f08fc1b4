// Client addresses behind trusted proxies (X-Forwarded-For, right-most first) and keep-alive
// connections after a 413, against the real Node server (startTokenServer, as the CLI serves it).
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Context } from 'hono';
import { clientIp } from './client-ip.js';
import { resolveOptions } from './options.js';
import type { Stack } from './test-support.js';
import { startStack, waitFor } from './test-support.js';

function fakeContext(xff: string | undefined, socket = '127.0.0.1'): Context {
  const headers = new Headers(xff === undefined ? {} : { 'X-Forwarded-For': xff });
  return {
    req: { raw: new Request('http://ts.test/', { headers }) },
    env: { incoming: { socket: { remoteAddress: socket } } },
  } as unknown as Context;
}

describe('client IP behind trusted proxies', () => {
  test('hops count from the right; client-supplied entries on the left are ignored', () => {
    const xff = '6.6.6.6, 203.0.113.7, 10.0.0.2';
    assert.equal(clientIp(fakeContext(xff), 0), '127.0.0.1');
    assert.equal(clientIp(fakeContext(xff), 1), '10.0.0.2');
    assert.equal(clientIp(fakeContext(xff), 2), '203.0.113.7');
    assert.equal(clientIp(fakeContext('198.51.100.1'), 3), '198.51.100.1', 'fewer entries');
    assert.equal(clientIp(fakeContext('not-an-ip'), 1), '127.0.0.1');
    assert.equal(clientIp(fakeContext(undefined), 1), '127.0.0.1');
    assert.equal(clientIp(fakeContext('1.1.1.1, [2001:db8::1]:443'), 1), '2001:db8::1');
  });

  test('trustProxy: true is one hop; TRUST_PROXY sets the hops; bad values fail at start', () => {
    const hops = (o: Parameters<typeof resolveOptions>[0]) => resolveOptions(o).trustProxyHops;
    assert.equal(hops({ env: {} }), 0);
    assert.equal(hops({ trustProxy: true, env: {} }), 1);
    assert.equal(hops({ trustProxy: false, env: { TRUST_PROXY: '2' } }), 0);
    assert.equal(hops({ trustProxy: 2, env: {} }), 2);
    assert.equal(hops({ env: { TRUST_PROXY: '1' } }), 1);
    assert.equal(hops({ env: { TRUST_PROXY: 'true' } }), 1);
    assert.throws(() => hops({ env: { TRUST_PROXY: 'lots' } }), /TRUST_PROXY must be/);
    assert.throws(() => hops({ trustProxy: -1, env: {} }), /trustProxy must be/);
  });

  test('rotating the first X-Forwarded-For entry does not escape the login rate limit', async () => {
    const s = await startStack({
      demo: true,
      auth: undefined,
      authorize: undefined,
      trustProxy: true, // one hop: the proxy appended 203.0.113.9
      noMediaServer: true,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await s.call('POST', '/api/auth/login', {
          body: { username: 'doctor', password: 'wrong' },
          headers: { 'X-Forwarded-For': `192.0.2.${i + 1}, 203.0.113.9` },
        });
        statuses.push(r.status);
      }
      assert.ok(statuses.includes(429), `statuses: ${statuses.join(',')}`);
    } finally {
      await s.close();
    }
  });
});

/** A raw HTTP/1.1 client on one socket: writes requests, reads whole responses. */
class RawConnection {
  private buf = Buffer.alloc(0);
  closed = false;
  error: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => (this.buf = Buffer.concat([this.buf, d])));
    socket.on('error', (e) => (this.error = e));
    socket.on('close', () => (this.closed = true));
  }

  static async open(url: string): Promise<RawConnection> {
    const u = new URL(url);
    const socket = connect(Number(u.port), u.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next whole response (status, lower-case headers, body); fails if the socket closes first. */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    let parsed: { status: number; headers: Record<string, string>; body: string } | undefined;
    await waitFor(
      'a whole HTTP response',
      () => {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end >= 0) {
          const [statusLine, ...lines] = this.buf.subarray(0, end).toString('latin1').split('\r\n');
          const headers: Record<string, string> = {};
          for (const l of lines) {
            const i = l.indexOf(':');
            headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
          }
          const length = Number(headers['content-length'] ?? 0);
          if (this.buf.length >= end + 4 + length) {
            parsed = {
              status: Number(statusLine?.split(' ')[1]),
              headers,
              body: this.buf.subarray(end + 4, end + 4 + length).toString(),
            };
            this.buf = this.buf.subarray(end + 4 + length);
            return true;
          }
        }
        if (this.closed || this.error)
          assert.fail(`connection closed before a response (${this.error?.message ?? 'EOF'})`);
        return false;
      },
      10_000,
    );
    return parsed as { status: number; headers: Record<string, string>; body: string };
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('keep-alive after 413', () => {
  let s: Stack;
  before(async () => {
    s = await startStack({
      demo: true,
      auth: undefined,
      authorize: undefined,
      noMediaServer: true,
    });
  });
  after(() => s.close());

  const big = Buffer.alloc(2 * 1024 * 1024, 'a');
  const emptyLogin =
    'POST /api/auth/login HTTP/1.1\r\nHost: ts.test\r\nContent-Type: application/json\r\n' +
    'Content-Length: 0\r\n\r\n';

  /** Sends `first`, expects 413, then the empty login as a client would (new socket on close). */
  async function nextRequestServed(first: (c: RawConnection) => void): Promise<void> {
    let conn = await RawConnection.open(s.ts.url);
    try {
      first(conn);
      const r413 = await conn.response();
      assert.equal(r413.status, 413);
      assert.equal(
        (JSON.parse(r413.body) as { error: { code: string } }).error.code,
        'payload-too-large',
      );
      if (r413.headers['connection']?.toLowerCase() === 'close') {
        conn.close();
        conn = await RawConnection.open(s.ts.url);
      }
      conn.write(emptyLogin);
      const next = await conn.response();
      assert.equal(next.status, 400, next.body); // served: the empty body is not valid JSON
      assert.equal(
        (JSON.parse(next.body) as { error: { code: string } }).error.code,
        'invalid-request',
      );
    } finally {
      conn.close();
    }
  }

  test('a 2 MB body with Content-Length: the next request on the connection is served', async () => {
    await nextRequestServed((c) => {
      c.write(
        'POST /api/auth/login HTTP/1.1\r\nHost: ts.test\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${big.length}\r\n\r\n`,
      );
      c.write(big);
    });
  });

  test('a 2 MB chunked body: the next request is served', async () => {
    await nextRequestServed((c) => {
      c.write(
        'POST /api/consults/ka-1/token HTTP/1.1\r\nHost: ts.test\r\n' +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      for (let i = 0; i < 8; i++) {
        const part = big.subarray(0, big.length / 8);
        c.write(`${part.length.toString(16)}\r\n`);
        c.write(part);
        c.write('\r\n');
      }
      c.write('0\r\n\r\n');
    });
  });

  test('a body too large to drain gets Connection: close, and a new connection is served', async () => {
    const conn = await RawConnection.open(s.ts.url);
    try {
      conn.write(
        'POST /api/auth/login HTTP/1.1\r\nHost: ts.test\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${64 * 1024 * 1024}\r\n\r\n`,
      );
      conn.write(big); // then stalls: far less than announced
      const r = await conn.response();
      assert.equal(r.status, 413);
      assert.equal(r.headers['connection']?.toLowerCase(), 'close');
    } finally {
      conn.close();
    }
    await nextRequestServed((c) => {
      c.write(
        'POST /api/auth/login HTTP/1.1\r\nHost: ts.test\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${big.length}\r\n\r\n`,
      );
      c.write(big);
    });
  });
});
