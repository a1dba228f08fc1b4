/**
 * token-server: token issuance at 50 concurrent clients, ConsultKit's token server against the pattern
 * OpenVidu's own tutorials use, same dev media server, same client, same run.
 *
 * - Processes (bench/lib/token-children.ts), each server alone so its CPU time is its own: the dev
 *   media server; ConsultKit on in-memory PGlite; ConsultKit on PostgreSQL (a throwaway cluster from
 *   scripts/pg-cluster.mjs, durability off as in the tests; its server processes' CPU is read from
 *   /proc and reported next to the token server's); the tutorial app (Express + openvidu-node-client,
 *   no auth, no storage). Both ConsultKit servers run with demo auth (an HS256 JWT checked on every
 *   request), the audit trail on (hash-chained rows), the participant and connection rows, and the
 *   rate limit off (`rateLimit: false`: its default of 10 burst + 1/s per user and IP would make this
 *   a 429 benchmark). The load generator is this process.
 * - One token = ConsultKit: `POST /api/consults/{id}/token` with `{}` as the demo provider (no
 *   waiting room). Tutorial: what its browser client does, `POST /api/sessions`
 *   `{ customSessionId }` then `POST /api/sessions/{id}/connections` `{}`, two requests on the same
 *   keep-alive socket; latency covers both.
 * - HTTP/1.1 keep-alive, 50 sockets per server, 50 closed-loop clients; latency = first request
 *   written → last body read.
 * - Blocks, each time-boxed (BENCH_TOKEN_SECONDS, default 12 s: no new request starts after it,
 *   the ones in flight finish) and capped at BENCH_TOKEN_REQUESTS tokens (default 2,000). A fixed
 *   count does not fit a loaded machine: at 15-25 tokens/s a 2,000-token block takes minutes, and
 *   eight of them overran the run's deadline. Throughput = tokens completed / block wall time; a
 *   block with fewer than 100 tokens fails the run (too few for a p99).
 *   - first join: every token for a new consult id (OpenVidu session created, then the connection).
 *   - repeat join: client k always asks for consult `rep-k` (50 consults, created in the warm-up):
 *     the session exists, a new connection each time (a reconnect, a page reload).
 *   Order per phase kind: tutorial A, ConsultKit PGlite, ConsultKit PostgreSQL, tutorial B; the
 *   baseline is the faster tutorial block (the benefit of the doubt goes to the baseline).
 *   A warm-up runs on every server first, untimed: first joins for BENCH_TOKEN_WARMUP_SECONDS
 *   (default 8 s; it was 100 tokens), then the 50 repeat consults. A fixed 100 tokens left
 *   ConsultKit's first measured block cold on a loaded machine (V8 still optimizing the token path
 *   and PGlite's WASM): 2026-12-02 at load 12-25, the first measured block cost 9-16 CPU ms/token
 *   against 4.4 once warm, with latencies up to 11 s. Every server gets the same time; the warm-up's
 *   own figures are in the notes (`cold`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { startPgCluster } from '../scripts/pg-cluster.mjs';
import { check, commandFor, log, max, report, round } from './lib/report.js';
import type { Child, ChildRole } from './lib/token-children.js';
import { runChild, startChild } from './lib/token-children.js';

const ID = 'token-server';
const CONCURRENCY = 50;
const REQUESTS = Number(process.env['BENCH_TOKEN_REQUESTS'] ?? 2_000);
const BLOCK_MS = Number(process.env['BENCH_TOKEN_SECONDS'] ?? 12) * 1000;
const MIN_TOKENS = 100;
const WARMUP_MS = Number(process.env['BENCH_TOKEN_WARMUP_SECONDS'] ?? 8) * 1000;
/** Under scripts/bench.mjs's 300 s limit, so a slow run ends with its own message. */
const DEADLINE_MS = 290_000;
const REPEAT_CONSULTS = CONCURRENCY;
const GOAL_THROUGHPUT = 0.7;
const GOAL_P99 = 3;

// ───────────────────────────── load generator ─────────────────────────────

interface Answer {
  status: number;
  body: string;
}

/** Requests sent again because a kept-alive socket had been closed under them (see `post`). */
let resent = 0;

/**
 * One POST on the keep-alive agent. A server closes a socket idle past its keep-alive timeout; on a
 * loaded machine the agent can hand that socket out before it has read the close, and the request
 * dies with ECONNRESET or "socket hang up" before the server saw it. That killed whole runs (the
 * idle sockets of one server wait while the other servers' blocks run). Node's documented remedy:
 * send again when the failed request was on a reused socket (`reusedSocket`); counted in `resent`.
 */
function post(agent: Agent, url: string, body: string, bearer?: string): Promise<Answer> {
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
        timeout: 60_000,
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
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale =
        req.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up');
      if (!stale) {
        reject(error);
        return;
      }
      resent++;
      post(agent, url, body, bearer).then(resolve, reject);
    });
    req.end(body);
  });
}

/** One way of getting a token for a consult id; resolves to the connection's token. */
interface Target {
  name: string;
  child: Child;
  /** Extra CPU sampled with the child's (the PostgreSQL server), microseconds. */
  extraCpuUs?: () => number;
  /** The token, or undefined when the server answered 503 `openvidu-unavailable`. */
  token(consultId: string): Promise<string | undefined>;
}

function consultKitTarget(name: string, child: Child, bearer: string, agent: Agent): Target {
  return {
    name,
    child,
    async token(consultId) {
      const a = await post(agent, `${child.url}/api/consults/${consultId}/token`, '{}', bearer);
      // The media server refused or dropped the token server's call (a loaded machine): counted
      // as a failed token of the block, not a crash of the run.
      if (a.status === 503 && a.body.includes('openvidu-unavailable')) return undefined;
      const parsed = a.status === 200 ? (JSON.parse(a.body) as { token?: unknown }) : {};
      check(
        typeof parsed.token === 'string',
        `${name}: answered ${a.status} ${a.body.slice(0, 200)}`,
      );
      return parsed.token;
    },
  };
}

function tutorialTarget(child: Child, agent: Agent): Target {
  return {
    name: 'tutorial',
    child,
    async token(consultId) {
      const s = await post(
        agent,
        `${child.url}/api/sessions`,
        JSON.stringify({ customSessionId: consultId }),
      );
      check(
        s.status === 200 && s.body === consultId,
        `tutorial session: ${s.status} ${s.body.slice(0, 200)}`,
      );
      const c = await post(agent, `${child.url}/api/sessions/${consultId}/connections`, '{}');
      check(
        c.status === 200 && c.body.startsWith('ws'),
        `tutorial connection: ${c.status} ${c.body.slice(0, 200)}`,
      );
      return c.body;
    },
  };
}

interface Phase {
  target: string;
  kind: string;
  requests: number;
  wallMs: number;
  latenciesMs: number[];
  cpuMs: number;
  extraCpuMs: number | undefined;
  /** Stopped by the time box before `count` tokens. */
  timeBoxed: boolean;
  /** Answers 503 `openvidu-unavailable` (not in `requests` nor in the latencies). */
  unavailable: number;
}

/**
 * Up to `count` tokens from `CONCURRENCY` closed-loop clients, no new request after `limitMs`;
 * `idFor(i, client)` names request i's consult.
 */
async function phase(
  target: Target,
  kind: string,
  count: number,
  idFor: (i: number, client: number) => string,
  tokens: Set<string>,
  limitMs = BLOCK_MS,
): Promise<Phase> {
  const latenciesMs: number[] = [];
  let nextIndex = 0;
  let timeBoxed = false;
  let unavailable = 0;
  if (process.env['BENCH_TOKEN_VERBOSE']) log(`${ID}: ${target.name} ${kind} …`);
  const cpu0 = await target.child.cpuUs();
  const extra0 = target.extraCpuUs?.();
  const t0 = performance.now();
  const client = async (k: number): Promise<void> => {
    while (nextIndex < count) {
      if (performance.now() - t0 > limitMs) {
        timeBoxed = true;
        return;
      }
      const i = nextIndex++;
      const start = performance.now();
      const token = await target.token(idFor(i, k));
      if (token === undefined) {
        unavailable++;
        continue;
      }
      tokens.add(token);
      latenciesMs.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => client(k)));
  const wallMs = performance.now() - t0;
  const cpu1 = await target.child.cpuUs();
  const extra1 = target.extraCpuUs?.();
  return {
    target: target.name,
    kind,
    requests: latenciesMs.length,
    wallMs,
    latenciesMs,
    cpuMs: (cpu1 - cpu0) / 1000,
    extraCpuMs: extra0 !== undefined && extra1 !== undefined ? (extra1 - extra0) / 1000 : undefined,
    timeBoxed,
    unavailable,
  };
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const throughput = (p: Phase): number => p.requests / (p.wallMs / 1000);
const cpuPerToken = (p: Phase): number => p.cpuMs / p.requests;

function describe(p: Phase): string {
  return (
    `${p.target} ${p.kind}: ${p.requests} tokens in ${(p.wallMs / 1000).toFixed(1)} s = ${throughput(p).toFixed(0)}/s, ` +
    `p50 ${percentile(p.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(p.latenciesMs, 99).toFixed(1)} ms, ` +
    `max ${max(p.latenciesMs).toFixed(0)} ms, server CPU ${cpuPerToken(p).toFixed(2)} ms/token` +
    (p.extraCpuMs !== undefined
      ? ` (+ PostgreSQL ${(p.extraCpuMs / p.requests).toFixed(2)} ms/token)`
      : '') +
    (p.unavailable ? `, ${p.unavailable} answered 503 openvidu-unavailable` : '')
  );
}

/** CPU time (µs) of the PostgreSQL postmaster and its children, from /proc (Linux). */
function postgresCpu(dataDir: string): () => number {
  const tick = 100; // USER_HZ on Linux
  const pmPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const stat = (pid: number): { ppid: number; us: number } | undefined => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(f[1]), us: ((Number(f[11]) + Number(f[12])) * 1e6) / tick };
    } catch {
      return undefined;
    }
  };
  return () => {
    let us = stat(pmPid)?.us ?? 0;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const s = stat(Number(name));
      if (s?.ppid === pmPid) us += s.us;
    }
    return us;
  };
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const entry = import.meta.url;
  const children: Child[] = [];
  const agents: Agent[] = [];
  const cluster = await startPgCluster();
  const phases: Phase[] = [];
  /** The first-join warm-up of each server (not measured; its figures go into the notes). */
  const warmups: Phase[] = [];
  try {
    const media = await startChild(entry, 'media');
    children.push(media);
    const ov = { OPENVIDU_URL: media.url, OPENVIDU_SECRET: media.secret ?? '' };
    const pglite = await startChild(entry, 'consultkit', ov);
    children.push(pglite);
    const postgres = await startChild(entry, 'consultkit', { ...ov, DATABASE_URL: cluster.url });
    children.push(postgres);
    const tutorial = await startChild(entry, 'tutorial', ov);
    children.push(tutorial);
    const agent = (): Agent => {
      const a = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      agents.push(a);
      return a;
    };
    const login = async (child: Child, a: Agent): Promise<string> => {
      const r = await post(
        a,
        `${child.url}/api/auth/login`,
        JSON.stringify({ username: 'doctor', password: 'doctor123' }),
      );
      check(r.status === 200, `demo login answered ${r.status}`);
      return (JSON.parse(r.body) as { accessToken: string }).accessToken;
    };
    const a1 = agent();
    const a2 = agent();
    const targets = {
      tutorial: tutorialTarget(tutorial, agent()),
      pglite: consultKitTarget('ConsultKit PGlite', pglite, await login(pglite, a1), a1),
      postgres: {
        ...consultKitTarget('ConsultKit PostgreSQL', postgres, await login(postgres, a2), a2),
        extraCpuUs: postgresCpu(join(cluster.dir, 'data')),
      },
    };
    const tokens = new Set<string>();
    const first = (prefix: string) => (i: number) => `${prefix}-${i}`;
    const repeat = (_i: number, k: number): string => `rep-${k}`;
    for (const t of Object.values(targets)) {
      const w = await phase(t, 'warm-up first join', REQUESTS, first('warm'), tokens, WARMUP_MS);
      w.target = t.name;
      warmups.push(w);
      await phase(t, 'warm-up repeat', REPEAT_CONSULTS, repeat, tokens);
    }
    log(`${ID}: warmed up (cold: ${warmups.map(describe).join('; ')})`);
    tokens.clear();
    const run = async (
      t: Target,
      kind: string,
      idFor: (i: number, k: number) => string,
      prefix: string,
    ): Promise<Phase> => {
      const p = await phase(t, kind, REQUESTS, idFor, tokens);
      p.target = prefix;
      log(`${ID}: ${describe(p)}`);
      phases.push(p);
      return p;
    };
    for (const kind of ['first join', 'repeat join'] as const) {
      const ids = (name: string) => (kind === 'first join' ? first(`fj-${name}`) : repeat);
      await run(targets.tutorial, kind, ids('ta'), 'tutorial A');
      await run(targets.pglite, kind, ids('pl'), 'ConsultKit PGlite');
      await run(targets.postgres, kind, ids('pg'), 'ConsultKit PostgreSQL');
      await run(targets.tutorial, kind, ids('tb'), 'tutorial B');
    }
    const measured = phases.reduce((n, p) => n + p.requests, 0);
    check(tokens.size === measured, `expected ${measured} distinct tokens, got ${tokens.size}`);
  } finally {
    for (const a of agents) a.destroy();
    for (const c of children.reverse()) await c.close().catch(() => undefined);
    cluster.stop();
  }

  for (const p of phases) {
    check(
      p.unavailable <= p.requests * 0.05,
      `${p.target} ${p.kind}: ${p.unavailable} answers 503 openvidu-unavailable for ${p.requests} tokens (more than 5 %)`,
    );
    check(
      p.requests >= MIN_TOKENS,
      `${p.target} ${p.kind}: only ${p.requests} tokens in ${BLOCK_MS / 1000} s (at least ${MIN_TOKENS} are needed for a p99)`,
    );
  }

  for (const kind of ['first join', 'repeat join']) {
    const of = phases.filter((p) => p.kind === kind);
    const tutorials = of.filter((p) => p.target.startsWith('tutorial'));
    const base = tutorials.sort((a, b) => throughput(b) - throughput(a))[0] as Phase;
    const baseTput = throughput(base);
    const baseP99 = percentile(base.latenciesMs, 99);
    const baseCpu = cpuPerToken(base);
    const slugKind = kind === 'first join' ? 'first-join' : 'repeat-join';
    const what =
      kind === 'first join'
        ? 'first join (new consult id per token)'
        : `repeat join (${REPEAT_CONSULTS} existing consults, one per client)`;
    const common =
      `${CONCURRENCY} closed-loop clients, HTTP/1.1 keep-alive, loopback, blocks of ${BLOCK_MS / 1000} s (at most ${REQUESTS} tokens) after a warm-up; ` +
      `one process per server (dev media server, ConsultKit on PGlite, ConsultKit on PostgreSQL 15 (throwaway cluster, fsync off), tutorial app: Express 5 + openvidu-node-client 2.32, two requests per token); ` +
      `ConsultKit with demo auth (JWT per request), audit trail on, rate limit off; baseline = the faster tutorial block (${base.target}). ` +
      `${of.map(describe).join('; ')}; every token checked distinct; ${resent} requests of the run sent again after a stale keep-alive socket; ` +
      `warm-up, cold (first joins for ${WARMUP_MS / 1000} s per server, not measured): ${warmups.map(describe).join('; ')}`;
    for (const p of of.filter((x) => x.target.startsWith('ConsultKit'))) {
      const db = p.target.endsWith('PGlite') ? 'pglite' : 'postgres';
      const tput = throughput(p);
      const p99 = percentile(p.latenciesMs, 99);
      const label = `tutorial pattern (Express + openvidu-node-client), same media server, client and run`;
      report({
        id: `${ID}/${db}-${slugKind}`,
        title: `Tokens/s at ${CONCURRENCY} concurrent clients, ${p.target}, ${what}`,
        figure: round(tput),
        unit: 'tokens/s',
        baseline: round(baseTput),
        baselineUnit: 'tokens/s',
        baselineLabel: label,
        ratio: round(tput / baseTput),
        lowerIsBetter: false,
        command: commandFor(ID),
        notes: `${common}. Goal ≥ ${GOAL_THROUGHPUT}×: ${tput / baseTput >= GOAL_THROUGHPUT ? 'met' : 'not met'}`,
        reading:
          "share of the tutorial pattern's throughput ConsultKit keeps while it also authenticates, authorizes, stores the participant and connection and writes a hash-chained audit row per token (the tutorial does none of it). Goal ≥ 0.7.",
      });
      report({
        id: `${ID}/${db}-${slugKind}-p99`,
        title: `Token latency p99 at ${CONCURRENCY} concurrent clients, ${p.target}, ${what}`,
        figure: round(p99),
        unit: 'ms (p99)',
        baseline: round(baseP99),
        baselineUnit: 'ms (p99)',
        baselineLabel: label,
        ratio: round(p99 / baseP99),
        lowerIsBetter: true,
        command: commandFor(ID),
        notes: `p50 ${percentile(p.latenciesMs, 50).toFixed(1)} ms (tutorial ${percentile(base.latenciesMs, 50).toFixed(1)} ms), max ${max(p.latenciesMs).toFixed(0)} ms (tutorial ${max(base.latenciesMs).toFixed(0)} ms). Goal ≤ ${GOAL_P99}×: ${p99 / baseP99 <= GOAL_P99 ? 'met' : 'not met'}`,
        reading:
          'tail latency relative to the tutorial pattern (request written → token read). Goal ≤ 3.',
      });
      report({
        id: `${ID}/${db}-${slugKind}-cpu`,
        title: `Server CPU per token, ${p.target}, ${what}`,
        figure: round(cpuPerToken(p)),
        unit: 'CPU ms/token',
        baseline: round(baseCpu),
        baselineUnit: 'CPU ms/token',
        baselineLabel: 'tutorial pattern process, same run',
        ratio: round(cpuPerToken(p) / baseCpu),
        lowerIsBetter: true,
        command: commandFor(ID),
        notes:
          `CPU time (user + system) of the token server process alone over the block ÷ tokens` +
          (p.extraCpuMs !== undefined
            ? `; the PostgreSQL server processes used ${(p.extraCpuMs / p.requests).toFixed(2)} ms/token more (PGlite's share is inside the process)`
            : '; PGlite runs inside the process, so its CPU is included'),
        reading:
          "what a token costs the server's CPU, against a process that only relays two OpenVidu calls.",
      });
    }
  }
  clearTimeout(deadline);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  void runChild(process.argv[childIndex + 1] as ChildRole);
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
