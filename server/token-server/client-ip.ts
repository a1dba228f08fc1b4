/**
 * The client's IP address for rate limits and the audit trail. Behind `hops` trusted proxies, each
 * proxy appends the address it received the request from to `X-Forwarded-For`, so the client is
 * the entry `hops` places from the right; entries further left are whatever the client sent and
 * are never trusted (rotating them must not change the address).
 */
import { isIP } from 'node:net';
import type { Context } from 'hono';

/** The socket's remote address under @hono/node-server (`unknown` on other hosts). */
function socketAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined;
  const addr = env?.incoming?.socket?.remoteAddress;
  return typeof addr === 'string' ? addr : 'unknown';
}

/** `X-Forwarded-For` entries (every header line, in order), or [] when absent. */
function forwardedFor(c: Context): string[] {
  const raw = c.req.raw.headers.get('x-forwarded-for');
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The client address with `hops` trusted proxies in front (0 = the socket address). */
export function clientIp(c: Context, hops: number): string {
  if (hops > 0) {
    const chain = forwardedFor(c);
    // Fewer entries than hops: the left-most is the farthest address the proxies know.
    const entry = chain.length > 0 ? chain[Math.max(0, chain.length - hops)] : undefined;
    const addr = entry?.replace(/^\[(.*)\](?::\d+)?$/, '$1');
    if (addr && addr.length <= 64 && isIP(addr) !== 0) return addr;
  }
  return socketAddress(c);
}
