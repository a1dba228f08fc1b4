/**
 * token-server: token issuance throughput and latency of the reference token server at 50 concurrent
 * clients, against a bare Hono route served the same way, same client, same concurrency, same run.
 *
 * - Servers: one child process (this file with `--child`) runs the embedded dev media server, the token
 *   server on top of it (demo auth, in-memory PGlite, silent logger, **rate limit off**:
 *   `rateLimit: false`, since its default of 10 burst + 1/s per user and IP would turn this into a
 *   429 benchmark) and the bare Hono app, each on its own loopback port. The load generator (this
 *   process) never shares their event loop. The child reports its CPU time per phase over IPC.
 * - Requests: `POST /api/consults/{id}/token` with `{}` as the demo provider (`doctor`, one bearer
 *   from `POST /api/auth/login`), so no waiting room. Baseline: `POST /bare/{id}/token` with the same
 *   headers and body on a Hono app whose handler parses the JSON body and answers a small JSON object.
 *   HTTP/1.1 keep-alive, 50 sockets, 50 closed-loop clients; latency = request written → body read.
 * - Phases, fixed count each (BENCH_TOKEN_REQUESTS, default 2,000) with a time cap: bare A, first
 *   join, bare B, repeat join, bare C. A bare block lasts a second or two, so one scheduler hiccup
 *   moves it a lot: the baseline is the bare block with the median throughput (all are in the notes).
 *   - first join: every request a new consult id: consult row, OpenVidu session (REST create), the
 *     connection (REST create), participant, connection and audit rows. What a provider opening a
 *     consultation costs.
 *   - repeat join: client k always asks for consult `rep-k` (50 consults, created in the warm-up):
 *     the session exists (the create answers 409), a new connection each time. What a reconnect or
 *     a page reload costs. Many ids, not one: a real consult has two or three participants, and one
 *     session with 2,000 pending connections would measure a case no deployment sees.
 *   A warm-up (bare, first joins, the 50 repeat consults) runs first, untimed.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { check, commandFor, log, max, median, report, round } from './lib/report.js';

const ID = 'token-server';
const CONCURRENCY = 50;
const REQUESTS = Number(process.env['BENCH_TOKEN_REQUESTS'] ?? 2_000);
const PHASE_CAP_MS = 30_000;
/** The bare route answers in well under a millisecond: its blocks are longer so they last a second or two. */
const BARE_REQUESTS = 5 * REQUESTS;
const DEADLINE_MS = 120_000;
const REPEAT_CONSULTS = CONCURRENCY;

type ToChild = { type: 'cpu'; id: number } | { type: 'close' };
type FromChild =
  | { type: 'ready'; tokenUrl: string; bareUrl: string }
  | { type: 'cpu'; id: number; us: number }
  | { type: 'error'; message: string };

// ───────────────────────────── child: the servers ─────────────────────────────

async function runChild(): Promise<void> {
  const { startDevMediaServer } = await import('../server/dev-media-server/index.js');
  const { startTokenServer, silentLogger } = await import('../server/token-server/index.js');
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const media = await startDevMediaServer({ port: 0, recording: false });
  const tokens = await startTokenServer({
    port: 0,
    host: '127.0.0.1',
    openviduUrl: media.url,
    openviduSecret: media.secret,
    demo: true,
    rateLimit: false,
    logger: silentLogger,
    env: {},
  });
  const bare = new Hono();
  bare.post('/bare/:consultId/token', async (c) => {
    const body = (await c.req.json()) as Record<string, unknown>;
    return c.json({
      ok: true,
      consultId: c.req.param('consultId'),
      keys: Object.keys(body).length,
    });
  });
  const bareServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const barePort = (bareServer.address() as AddressInfo).port;
  const reply = (msg: FromChild): void => {
    process.send?.(msg);
  };
  const shutdown = async (): Promise<void> => {
    await tokens.close();
    await media.close();
    bareServer.close();
    process.exit(0);
  };
  process.on('message', (raw) => {
    const msg = raw as ToChild;
    if (msg.type === 'cpu') {
      const cpu = process.cpuUsage();
      reply({ type: 'cpu', id: msg.id, us: cpu.user + cpu.system });
    } else void shutdown();
  });
  process.on('disconnect', () => void shutdown());
  reply({ type: 'ready', tokenUrl: tokens.url, bareUrl: `http://127.0.0.1:${barePort}` });
}

interface Servers {
  tokenUrl: string;
  bareUrl: string;
  cpuUs(): Promise<number>;
  close(): Promise<void>;
}

async function startChild(): Promise<Servers> {
  const child = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (us: number) => void>();
  let next = 0;
  const ready = await new Promise<{ tokenUrl: string; bareUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server child did not start within 30 s'));
    }, 30_000);
    child.on('message', (raw) => {
      const msg = raw as FromChild;
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
      } else if (msg.type === 'cpu') {
        pending.get(msg.id)?.(msg.us);
        pending.delete(msg.id);
      } else {
        clearTimeout(timer);
        reject(new Error(`server child: ${msg.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server child exited with ${code}`));
    });
  });
  return {
    ...ready,
    cpuUs: () =>
      new Promise<number>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => reject(new Error('no CPU sample within 10 s')), 10_000);
        pending.set(id, (us) => {
          clearTimeout(timer);
          resolve(us);
        });
        child.send({ type: 'cpu', id } satisfies ToChild);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ───────────────────────────── load generator ─────────────────────────────

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Answer {
  status: number;
  body: string;
}

function post(url: string, body: string, bearer?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface Phase {
  name: string;
  requests: number;
  wallMs: number;
  latenciesMs: number[];
  serverCpuMs: number;
  capped: boolean;
}

/**
 * `count` requests from `CONCURRENCY` closed-loop clients; `urlFor(i, client)` builds request i's
 * URL. Every answer must be 200 and pass `validate`. Stops issuing at `PHASE_CAP_MS`.
 */
async function phase(
  name: string,
  servers: Servers,
  count: number,
  urlFor: (i: number, client: number) => string,
  validate: (a: Answer) => boolean,
  bearer?: string,
): Promise<Phase> {
  const latenciesMs: number[] = [];
  let nextIndex = 0;
  let capped = false;
  const cpu0 = await servers.cpuUs();
  const t0 = performance.now();
  const client = async (k: number): Promise<void> => {
    while (nextIndex < count) {
      if (performance.now() - t0 > PHASE_CAP_MS) {
        capped = true;
        return;
      }
      const i = nextIndex++;
      const start = performance.now();
      const answer = await post(urlFor(i, k), '{}', bearer);
      latenciesMs.push(performance.now() - start);
      check(
        answer.status === 200 && validate(answer),
        `${name}: request ${i} answered ${answer.status} ${answer.body.slice(0, 200)}`,
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => client(k)));
  const wallMs = performance.now() - t0;
  const cpu1 = await servers.cpuUs();
  return {
    name,
    requests: latenciesMs.length,
    wallMs,
    latenciesMs,
    serverCpuMs: (cpu1 - cpu0) / 1000,
    capped,
  };
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Median latency of the first and the last quarter of a phase's requests (growth with the data). */
function quarterMedians(p: Phase): string {
  const q = Math.max(1, Math.floor(p.latenciesMs.length / 4));
  const head = median(p.latenciesMs.slice(0, q));
  const tail = median(p.latenciesMs.slice(-q));
  return `${head.toFixed(1)}/${tail.toFixed(1)} ms`;
}

const throughput = (p: Phase): number => p.requests / (p.wallMs / 1000);

function describe(p: Phase): string {
  return (
    `${p.name}: ${p.requests} requests in ${(p.wallMs / 1000).toFixed(1)} s = ${throughput(p).toFixed(0)}/s, ` +
    `p50 ${percentile(p.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(p.latenciesMs, 99).toFixed(1)} ms, ` +
    `max ${max(p.latenciesMs).toFixed(0)} ms, first/last quarter p50 ${quarterMedians(p)}, server CPU ${(p.serverCpuMs / p.requests).toFixed(2)} ms/request` +
    `${p.capped ? ` (WARNING: stopped at the ${PHASE_CAP_MS / 1000} s cap)` : ''}`
  );
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const servers = await startChild();
  const phases: Phase[] = [];
  let connectionIds = new Set<string>();
  try {
    const login = await post(
      `${servers.tokenUrl}/api/auth/login`,
      JSON.stringify({ username: 'doctor', password: 'doctor123' }),
    );
    check(login.status === 200, `demo login answered ${login.status}`);
    const bearer = (JSON.parse(login.body) as { accessToken: string }).accessToken;

    const isToken = (a: Answer): boolean => {
      const parsed = JSON.parse(a.body) as { token?: unknown; connectionId?: unknown };
      if (typeof parsed.token !== 'string' || typeof parsed.connectionId !== 'string') return false;
      connectionIds.add(parsed.connectionId);
      return true;
    };
    const isBare = (a: Answer): boolean => (JSON.parse(a.body) as { ok?: unknown }).ok === true;
    const bareUrl = (i: number): string => `${servers.bareUrl}/bare/c-${i}/token`;
    const firstUrl =
      (prefix: string) =>
      (i: number): string =>
        `${servers.tokenUrl}/api/consults/${prefix}-${i}/token`;
    const repeatUrl = (_i: number, k: number): string =>
      `${servers.tokenUrl}/api/consults/rep-${k}/token`;

    // Warm-up, untimed: JIT of both paths, the 50 repeat consults (one first join each).
    await phase('warm-up first join', servers, 300, firstUrl('warm'), isToken, bearer);
    await phase('warm-up repeat', servers, REPEAT_CONSULTS, repeatUrl, isToken, bearer);
    // Last, so that the first measured bare block does not pay for re-optimising the HTTP path
    // shared with the token route (it ran at a fifth of the later blocks' rate otherwise).
    await phase('warm-up bare', servers, BARE_REQUESTS, bareUrl, isBare, bearer);
    log(`${ID}: warmed up`);

    const run = async (p: Promise<Phase>): Promise<Phase> => {
      const done = await p;
      log(`${ID}: ${describe(done)}`);
      phases.push(done);
      return done;
    };
    connectionIds = new Set();
    await run(phase('bare A', servers, BARE_REQUESTS, bareUrl, isBare, bearer));
    await run(phase('first join', servers, REQUESTS, firstUrl('fj'), isToken, bearer));
    await run(phase('bare B', servers, BARE_REQUESTS, bareUrl, isBare, bearer));
    await run(phase('repeat join', servers, REQUESTS, repeatUrl, isToken, bearer));
    await run(phase('bare C', servers, BARE_REQUESTS, bareUrl, isBare, bearer));
  } finally {
    agent.destroy();
    await servers.close();
  }

  const [bareA, first, bareB, repeat, bareC] = phases as [Phase, Phase, Phase, Phase, Phase];
  // The bare blocks last a second or two, so one scheduler hiccup on the shared machine moves one of
  // them a lot: the baseline is the block with the median throughput (all three are in the notes).
  const bares = [bareA, bareB, bareC].sort((a, b) => throughput(a) - throughput(b));
  const bare = bares[1] as Phase;
  for (const p of phases) {
    check(
      p.requests >= REQUESTS / 2,
      `${p.name}: only ${p.requests} of ${REQUESTS} requests within ${PHASE_CAP_MS / 1000} s`,
    );
  }
  check(
    connectionIds.size === first.requests + repeat.requests,
    `expected ${first.requests + repeat.requests} distinct connection ids, got ${connectionIds.size}`,
  );

  const bareTput = throughput(bare);
  const bareP50 = percentile(bare.latenciesMs, 50);
  const bareP99 = percentile(bare.latenciesMs, 99);
  const common =
    `${CONCURRENCY} closed-loop clients, HTTP/1.1 keep-alive, loopback; ${REQUESTS} requests per token phase, ${BARE_REQUESTS} per bare block, after a warm-up ` +
    `(300 first joins, ${REPEAT_CONSULTS} repeat consults created, then ${BARE_REQUESTS} bare); servers in one child process (dev media server + token server ` +
    `with rateLimit: false, demo provider bearer, in-memory PGlite; bare Hono route on its own port), load generator in the parent; ` +
    `order bare A → first join → bare B → repeat join → bare C, baseline = the bare block with the median throughput (${bare.name}). ` +
    `${phases.map(describe).join('; ')}; every answer checked (200, token + distinct connection id)`;

  for (const p of [first, repeat]) {
    const slug = p === first ? 'first-join' : 'repeat-join';
    const what =
      p === first
        ? 'first join (new consult id per request)'
        : `repeat join (${REPEAT_CONSULTS} existing consults, one per client)`;
    const tput = throughput(p);
    const p50 = percentile(p.latenciesMs, 50);
    const p99 = percentile(p.latenciesMs, 99);
    report({
      id: `${ID}/${slug}`,
      title: `Token issuance throughput at ${CONCURRENCY} concurrent clients, ${what}`,
      figure: round(tput),
      unit: 'requests/s',
      baseline: round(bareTput),
      baselineUnit: 'requests/s',
      baselineLabel: `bare Hono JSON POST route, same client and concurrency`,
      ratio: round(tput / bareTput),
      lowerIsBetter: false,
      command: commandFor(ID),
      notes: common,
      reading:
        "share of a do-nothing Hono route's throughput the token endpoint keeps (1 = the token logic costs nothing). Each token is two OpenVidu REST calls to the dev server in the same process, several PGlite statements and a JWT check, so a small fraction is expected; a drop between commits means a slower request path (see server CPU ms/request in the notes). Both servers share the 2 cores with the load generator.",
    });
    report({
      id: `${ID}/${slug}-p50`,
      title: `Token issuance latency p50 at ${CONCURRENCY} concurrent clients, ${what}`,
      figure: round(p50),
      unit: 'ms (p50)',
      baseline: round(bareP50),
      baselineUnit: 'ms (p50)',
      baselineLabel: 'bare Hono JSON POST route, same client and concurrency',
      ratio: round(p50 / bareP50),
      lowerIsBetter: true,
      command: commandFor(ID),
      notes: `median latency, request written → body read; see ${ID}/${slug} for the phases`,
      reading:
        'closed loop at fixed concurrency: p50 ≈ 50 ÷ throughput (queueing), so this ratio is close to the inverse of the throughput ratio; a p50 ratio well above that inverse means a few slow requests hold the queue.',
    });
    report({
      id: `${ID}/${slug}-p99`,
      title: `Token issuance latency p99 at ${CONCURRENCY} concurrent clients, ${what}`,
      figure: round(p99),
      unit: 'ms (p99)',
      baseline: round(bareP99),
      baselineUnit: 'ms (p99)',
      baselineLabel: 'bare Hono JSON POST route, same client and concurrency',
      ratio: round(p99 / bareP99),
      lowerIsBetter: true,
      command: commandFor(ID),
      notes: `99th percentile latency over ${p.requests} requests (bare: ${bare.requests}, ${bare.name}); p99/p50 token ${(p99 / p50).toFixed(1)}, bare ${(bareP99 / bareP50).toFixed(1)}; max token ${max(p.latenciesMs).toFixed(0)} ms, median ${median(p.latenciesMs).toFixed(1)} ms`,
      reading:
        "tail latency relative to the bare route; p99/p50 (in the notes) well above the bare route's says the tail comes from stalls (GC, PGlite, event-loop blocking) rather than queueing.",
    });
  }
  clearTimeout(deadline);
}

if (process.argv[2] === '--child') {
  runChild().catch((error: unknown) => {
    process.send?.({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
    } satisfies FromChild);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
