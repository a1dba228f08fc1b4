/**
 * Browser origins and bind addresses: the checks behind the dev media server's `allowedOrigins`
 * (CORS and WebSocket upgrades) and its stricter defaults when it listens beyond loopback.
 */

/** Normalizes an origin (`https://Host:443/` → `https://host`); throws on anything but http(s). */
export function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new TypeError(`"${origin}" is not an origin (expected e.g. https://portal.example)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`"${origin}" is not an http(s) origin`);
  return url.origin;
}

/** True when `origin` (a request's `Origin` header) is in the normalized `allowed` list. */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return false;
  try {
    return allowed.includes(normalizeOrigin(origin));
  } catch {
    return false;
  }
}

/** True for a bind host that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
