/**
 * Prometheus metrics (`GET /metrics`) through `prom-client`, an optional peer dependency loaded only
 * when metrics are on (`METRICS_TOKEN` / `metrics: { token }`), so the server runs without it
 * otherwise. Off by default; when on, scraping needs `Authorization: Bearer <token>`.
 *
 * Labels are bounded by design: the route is Hono's route pattern (`/api/consults/:consultId/token`),
 * never the raw path, so consultation and user ids never become label values.
 */
import { timingSafeEqual } from 'node:crypto';
import type * as PromNamespace from 'prom-client';
import { MIN_SECRET_BYTES } from './auth.js';

/** Connection counts of a database pool (PostgreSQL); absent for PGlite (one in-process connection). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** What the server reports into; a no-op while metrics are off. */
export interface Metrics {
  /** One answered request: its method, route pattern, status and duration. */
  request(method: string, route: string, status: number, seconds: number): void;
  /** One OpenVidu token handed out. */
  tokenIssued(role: string): void;
  /** An OpenVidu webhook arrived `seconds` after its event happened (OpenVidu's `timestamp`). */
  webhookLag(seconds: number): void;
}

/** The metrics endpoint: the registry's text and a check of the scraper's bearer token. */
export interface MetricsEndpoint extends Metrics {
  authorized(request: Request): boolean;
  render(): Promise<{ contentType: string; body: string }>;
}

export const noMetrics: Metrics = {
  request: () => undefined,
  tokenIssued: () => undefined,
  webhookLag: () => undefined,
};

/** Resolves `metrics` / `METRICS_TOKEN`: `undefined` = off. Throws on a token too short to be a secret. */
export function resolveMetricsToken(
  option: false | { token: string } | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (option === false) return undefined;
  const token = option?.token ?? (env['METRICS_TOKEN']?.trim() || undefined);
  if (token === undefined) return undefined;
  const bytes = new TextEncoder().encode(token).length;
  if (bytes < MIN_SECRET_BYTES)
    throw new Error(
      `METRICS_TOKEN (metrics.token) is ${bytes} bytes; it must be at least ${MIN_SECRET_BYTES} ` +
        '(e.g. `openssl rand -base64 48`), and the scraper sends it as `Authorization: Bearer <token>`.',
    );
  return token;
}

export interface MetricsSources {
  /** Open SSE streams of this instance. */
  streams(): number;
  /** The database pool, when the driver exposes it. */
  pool(): PoolStats | undefined;
}

type PromClient = typeof PromNamespace;

async function loadPromClient(): Promise<PromClient> {
  try {
    const mod = (await import('prom-client')) as PromClient & { default?: PromClient };
    return mod.default ?? mod;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(
        'METRICS_TOKEN is set but prom-client is not installed: npm install prom-client@15',
        { cause: e },
      );
    throw e;
  }
}

/** Latency buckets (seconds): a token takes milliseconds, an OpenVidu outage up to its timeout. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Loads prom-client and builds the registry (its own, not the global one). */
export async function createMetrics(
  token: string,
  sources: MetricsSources,
): Promise<MetricsEndpoint> {
  const prom = await loadPromClient();
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: 'consultkit_' });
  const requests = new prom.Histogram({
    name: 'consultkit_http_request_duration_seconds',
    help: 'Answered HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const tokens = new prom.Counter({
    name: 'consultkit_tokens_issued_total',
    help: 'OpenVidu tokens handed out, by participant role',
    labelNames: ['role'] as const,
    registers: [registry],
  });
  const lag = new prom.Histogram({
    name: 'consultkit_webhook_lag_seconds',
    help: 'Time from an OpenVidu event to its webhook reaching this instance',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new prom.Gauge({
    name: 'consultkit_sse_streams',
    help: 'Open event streams (GET /api/consults/{consultId}/events) on this instance',
    registers: [registry],
    collect() {
      this.set(sources.streams());
    },
  });
  new prom.Gauge({
    name: 'consultkit_db_pool_connections',
    help: 'PostgreSQL pool connections: total, idle, and clients waiting for one (absent on PGlite)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = sources.pool();
      if (!s) return;
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  const expected = Buffer.from(`Bearer ${token}`);
  return {
    request: (method, route, status, seconds) =>
      requests.observe({ method, route, status: String(status) }, seconds),
    tokenIssued: (role) => tokens.inc({ role }),
    webhookLag: (seconds) => lag.observe(Math.max(0, seconds)),
    authorized(request) {
      const given = Buffer.from(request.headers.get('authorization')?.trim() ?? '');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
