// End to end, scaled out: two token-server processes (A and B) on one PostgreSQL behind a small
// round-robin proxy, one dev media server, and the SDK's ConsultSession in real Chromium pages with
// fake devices. The patient waits on A and the provider admits on B; chat goes round-robin and its
// history is read from the other instance; the patient declines a recording-consent request; then
// A is SIGKILLed mid-call. The call goes on, the patient's event stream resumes on B with
// `Last-Event-ID`, and what follows (a second recording request, a second patient admitted, chat)
// arrives.
// The proxy keeps every event stream's frames, so the test checks the `id:` lines on the wire
// against the event log: nothing lost, nothing twice. Needs PostgreSQL (skipped, visibly, without).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findPgBin } from '../../scripts/pg-cluster.mjs';
import { startDevMediaServer, type DevMediaServer } from '../../server/dev-media-server/index.js';
import type { TestPostgresDatabase } from '../../server/token-server/test-pg.js';
import { testPostgresDatabase } from '../../server/token-server/test-pg.js';
import { AUDIENCE, ISSUER, JWT_SECRET, jwt } from '../../server/token-server/test-support.js';
import { launchBrowser, waitUntil } from './support/browser.js';
import type { RoundRobinProxy, WireFrame, WireStream } from './support/round-robin-proxy.js';
import { startRoundRobinProxy } from './support/round-robin-proxy.js';
import type { Harness, HarnessSummary } from './support/sdk-harness-page.js';
import { buildHarnessPage } from './support/sdk-harness-page.js';
import type { TokenServerProcess } from './support/server-process.js';
import { startTokenServerProcess } from './support/server-process.js';

declare const harness: Harness;

const skip = findPgBin() === null && 'PostgreSQL is not installed (apt-get install postgresql)';
const WAIT_MS = 15_000;
const CONSULT = `scale-e2e-${process.pid}`;
const WEBHOOK_SECRET = 'e2e-scale-webhook-secret';
const A = 0;
const B = 1;

if (skip) test('two token-server instances behind a round-robin proxy', { skip }, () => undefined);

describe('two token-server instances behind a round-robin proxy', { skip }, () => {
  let database: TestPostgresDatabase;
  let media: DevMediaServer;
  let proxy: RoundRobinProxy;
  let instances: TokenServerProcess[] = [];
  let browser: Browser;
  let workDir: string;
  const contexts: BrowserContext[] = [];

  // Two token servers start from the sources (tsx) and a PostgreSQL cluster may start too.
  before(
    async () => {
      workDir = await mkdtemp(join(tmpdir(), 'consultkit-e2e-scale-'));
      const page = await buildHarnessPage();
      // The portal's origin: the page, and the token servers under /api (no CORS).
      proxy = await startRoundRobinProxy((req, res) => {
        const js = req.url === '/harness.js';
        res.setHeader('content-type', js ? 'text/javascript' : 'text/html');
        res.end(js ? page.js : page.html);
      });
      database = await testPostgresDatabase();
      // Webhooks go through the proxy too, so they land on whichever instance is up.
      media = await startDevMediaServer({
        port: 0,
        recordingsDir: join(workDir, 'recordings'),
        webhook: {
          url: `${proxy.url}/api/openvidu/webhook`,
          headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
          retryBaseMs: 50,
        },
      });
      const env = {
        OPENVIDU_URL: media.url,
        OPENVIDU_SECRET: media.secret,
        OPENVIDU_WEBHOOK_SECRET: WEBHOOK_SECRET,
        AUTH_JWT_SECRET: JWT_SECRET,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_CONSULT_CLAIM: 'consult_id',
        DATABASE_POOL_SIZE: '4',
        LOG_LEVEL: 'warn',
      };
      instances = await Promise.all(
        [A, B].map(() => startTokenServerProcess({ args: ['--database-url', database.url], env })),
      );
      proxy.targets = instances.map((i) => i.url);
      browser = await launchBrowser();
    },
    { timeout: 120_000 },
  );

  after(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    await browser?.close();
    await proxy?.close();
    await Promise.all(instances.map((i) => i.stop()));
    await media?.close();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const token = (sub: string, role: string, name: string): Promise<string> =>
    jwt({ sub, role, name, consult_id: CONSULT });

  async function openPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(proxy.url);
    await page.waitForFunction(() => 'harness' in globalThis);
    return page;
  }

  function summary(page: Page): Promise<HarnessSummary> {
    return page.evaluate(() => harness.summary());
  }

  /** Waits until `predicate` holds for the page's summary; fails with the last one. */
  async function until(
    page: Page,
    what: string,
    predicate: (s: HarnessSummary) => boolean,
    timeoutMs = WAIT_MS,
  ): Promise<HarnessSummary> {
    let last: HarnessSummary | undefined;
    try {
      const s = await waitUntil(
        what,
        async () => {
          last = await summary(page);
          return predicate(last) && last;
        },
        timeoutMs,
      );
      timeline.push(`${Date.now() - started} ms ${what}`);
      return s;
    } catch (error) {
      throw new Error(`${(error as Error).message}; last state ${JSON.stringify(last)}`, {
        cause: error,
      });
    }
  }

  const inCall = (s: HarnessSummary, other: string): boolean =>
    s.connection === 'connected' &&
    s.participants.some((p) => !p.isLocal && p.displayName === other && p.tracks.length === 2);

  const streamsOf = (user: string): WireStream[] =>
    proxy.streams.filter((s) => s.user === user && s.path === `/api/consults/${CONSULT}/events`);

  /** The event log as PostgreSQL holds it: ids a user's audience allows, after `afterId`. */
  async function loggedIds(user: { id: string; role: string }, afterId: number): Promise<number[]> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(
        `select id from events where consult_id = $1 and id > $2
           and (audience_role is null or audience_role = $3)
           and (audience_user is null or audience_user = $4) order by id`,
        [CONSULT, afterId, user.role, user.id],
      );
      return rows.map((r) => Number(r.id));
    } finally {
      await client.end();
    }
  }

  /** Every frame of the user's streams, in order; ids never go back and no event comes twice. */
  function assertOnceInOrder(user: string): WireFrame[] {
    const frames = streamsOf(user).flatMap((s) => s.frames);
    const ids = frames.map((f) => Number(f.id));
    assert.ok(
      ids.every((id) => Number.isInteger(id)),
      `${user}: a frame without an id: ${JSON.stringify(frames)}`,
    );
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
      `${user}: ids went back: ${ids}`,
    );
    const keys = frames.map((f) => `${f.id} ${f.event}`);
    assert.equal(
      new Set(keys).size,
      keys.length,
      `${user}: an event came twice: ${keys.join(', ')}`,
    );
    return frames;
  }

  /** What the proxy saw and the instances logged, for a failure's message. */
  async function diagnostics(): Promise<string> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client
      .query<{ id: string; name: string; role: string | null; user: string | null }>(
        'select id, name, audience_role as role, audience_user as user from events where consult_id = $1 order by id',
        [CONSULT],
      )
      .finally(() => client.end());
    return [
      `event log: ${rows.map((r) => `${r.id} ${r.name} ${r.role ?? ''}${r.user ?? ''}`).join(', ')}`,
      ...proxy.streams.map(
        (s) =>
          `stream ${s.user} on ${s.instance} (Last-Event-ID ${s.lastEventId ?? '-'}, ${s.end}): ${s.frames.map((f) => `${f.id} ${f.event}`).join(', ')}`,
      ),
      `webhooks: ${proxy.requests
        .filter((r) => r.path.includes('webhook'))
        .map((r) => `${r.instance}:${r.status}`)
        .join(' ')}`,
      `media server: ${JSON.stringify(media.stats())}`,
      ...instances.map((i, n) => `instance ${n} output:\n${i.output().slice(-3000)}`),
    ].join('\n');
  }

  /** When each step's condition held, from the start of the scenario. */
  const timeline: string[] = [];
  let started = 0;

  it(
    'waiting room across instances, chat history, consent, instance A killed mid-call: nothing lost or doubled',
    { timeout: 120_000 },
    async (t) => {
      try {
        await scenario();
      } catch (error) {
        const more = `${timeline.join('\n')}\n${await diagnostics()}`;
        throw new Error(`${(error as Error).message}\n${more}`, { cause: error });
      }
      // Each step is bounded by its own wait; how long they took goes to the report (on an idle
      // machine the whole scenario takes well under a minute, on a loaded one several times that).
      t.diagnostic(timeline.join('; '));
    },
  );

  /** The provider asks to record; the patient is prompted once and declines; nothing records. */
  async function declinedRequest(dr: Page, pat: Page): Promise<void> {
    await dr.evaluate(() => harness.startRecording());
    await until(
      dr,
      'the provider awaiting consent',
      (s) => s.recording.status === 'awaiting-consent',
    );
    await until(pat, 'the consent prompt', (s) => s.recording.consentPending);
    await pat.evaluate(() => harness.consent(false));
    await until(dr, 'the request declined', (s) => s.recording.status === 'idle');
    await until(
      pat,
      'the prompt gone',
      (s) => !s.recording.consentPending && !s.recording.consentRequested,
    );
    assert.deepEqual((await summary(pat)).log.consent, ['requested']);
    assert.equal(media.stats().activeRecordings, 0);
  }

  async function scenario(): Promise<void> {
    started = Date.now();
    // The patient's requests and stream go to A, the provider's lobby actions to B; the rest
    // (tokens, chat history, recording requests, webhooks) round-robin.
    proxy.prefer(({ method, path, user }) => {
      if (user === 'pat-1') return A;
      if (user === 'dr-1' && method === 'POST' && path.includes('/lobby/')) return B;
      return undefined;
    });
    const dr = await openPage();
    const pat = await openPage();
    const pat2 = await openPage();
    await dr.evaluate(([id, t]) => harness.join(id, t, 'Dr Who'), [
      CONSULT,
      await token('dr-1', 'provider', 'Dr Who'),
    ] as const);
    await until(dr, 'the provider in the call', (s) => s.connection === 'connected');

    // Waiting room across instances: the patient waits on A, the provider admits on B.
    await pat.evaluate(([id, t]) => harness.join(id, t, 'Pat'), [
      CONSULT,
      await token('pat-1', 'patient', 'Pat'),
    ] as const);
    await until(pat, 'the patient waiting', (s) => s.connection === 'waiting');
    await until(dr, 'the patient in the lobby', (s) => s.lobby.includes('pat-1'));
    await dr.evaluate(() => harness.admit('pat-1'));
    assert.ok(
      proxy.requests.some(
        (r) =>
          r.user === 'dr-1' &&
          r.path.endsWith('/lobby/pat-1/admit') &&
          r.instance === B &&
          r.status === 200,
      ),
      'the admission went to B',
    );
    await until(pat, 'the patient in the call', (s) => inCall(s, 'Dr Who'));
    await until(dr, 'the provider sees the patient', (s) => inCall(s, 'Pat'));
    const [first] = streamsOf('pat-1');
    assert.ok(first, 'the patient opened an event stream');
    assert.equal(first.instance, A);
    assert.deepEqual(
      first.frames.map((f) => f.event),
      ['admitted'],
      'the patient on A saw the admission made on B',
    );

    // Chat: each message reaches the other side; stored through webhooks on either instance.
    assert.equal(
      await dr.evaluate(() => harness.send('before the crash, from the doctor')),
      'sent',
    );
    assert.equal(
      await pat.evaluate(() => harness.send('before the crash, from the patient')),
      'sent',
    );
    await until(pat, 'the doctor’s message', (s) =>
      s.log.received.includes('before the crash, from the doctor'),
    );
    await until(dr, 'the patient’s message', (s) =>
      s.log.received.includes('before the crash, from the patient'),
    );

    // Consent: the provider asks to record; the patient (stream on A) is asked and declines,
    // so nothing is recorded (no recorder load on a shared machine) and the request ends.
    await declinedRequest(dr, pat);
    // A crashes mid-call.
    await instances[A]!.stop('SIGKILL');
    timeline.push(`${Date.now() - started} ms A killed`);
    await waitUntil('the patient’s stream on A cut', () => first.end === 'cut', WAIT_MS);
    await waitUntil(
      'the patient’s stream resumed on B',
      () => streamsOf('pat-1').find((s) => s.instance === B),
      WAIT_MS,
    );
    const resumed = streamsOf('pat-1').find((s) => s.instance === B) as WireStream;
    timeline.push(`${Date.now() - started} ms the patient's stream resumed on B`);
    // The last frame A's stream carried before it was cut (events may still have been in flight
    // when A died).
    const lastOnA = first.frames.at(-1)?.id;
    assert.ok(lastOnA, 'frames with ids on A');
    assert.equal(resumed.lastEventId, lastOnA, 'resumed with the last id seen on A');
    assert.equal(streamsOf('pat-1').length, 2, 'one stream on A, then one on B');

    // The call goes on: media does not pass through the token servers.
    const s1 = await summary(pat);
    assert.ok(inCall(s1, 'Dr Who'), JSON.stringify(s1));
    assert.ok((await pat.evaluate(() => harness.frames('Dr Who'))) >= 5, 'video still flows');

    // Later events reach the patient through B: the provider asks again. The patient's answer
    // stands (a refusal holds until a recording ends), so they see the request, unprompted.
    await dr.evaluate(() => harness.startRecording());
    await until(
      pat,
      'the second request (patient, through B)',
      (s) => s.recording.consentRequested,
    );
    assert.equal((await summary(dr)).recording.status, 'awaiting-consent');
    assert.equal(media.stats().activeRecordings, 0);

    // A second patient, admitted after the crash, reads the chat history from B.
    // (A listener: no camera or microphone, which would only load the shared machine.)
    await pat2.evaluate(([id, t]) => harness.join(id, t, 'Pam', false), [
      CONSULT,
      await token('pat-2', 'patient', 'Pam'),
    ] as const);
    await until(dr, 'the second patient in the lobby', (s) => s.lobby.includes('pat-2'));
    await dr.evaluate(() => harness.admit('pat-2'));
    const history = await until(
      pat2,
      'the second patient in the call with the history',
      (s) => inCall(s, 'Dr Who') && s.chat.length >= 2,
    );
    assert.deepEqual(
      history.chat.map((m) => m.text),
      ['before the crash, from the doctor', 'before the crash, from the patient'],
    );
    assert.equal(await pat.evaluate(() => harness.send('after the crash')), 'sent');
    await until(dr, 'chat after the crash (provider)', (s) =>
      s.log.received.includes('after the crash'),
    );
    await until(pat2, 'chat after the crash (second patient)', (s) =>
      s.log.received.includes('after the crash'),
    );

    // What the patient saw: one admission, one prompt, no recording, no errors.
    const seen = await summary(pat);
    assert.deepEqual(seen.log.errors, []);
    assert.deepEqual(seen.log.consent, ['requested']);
    assert.deepEqual(seen.log.recording, ['idle']);
    assert.equal(
      seen.log.connection.filter((c) => c.startsWith('connected')).length,
      1,
      seen.log.connection.join(' '),
    );
    assert.deepEqual(seen.log.received, ['before the crash, from the doctor']);

    // On the wire: every event the patient may see since the admission, once each, in order.
    // (Read again until they agree: an event logged a moment ago may still be on its way.)
    const admittedId = Number(first.frames[0]?.id);
    const wireIds = (): number[] =>
      streamsOf('pat-1').flatMap((s) => s.frames.map((f) => Number(f.id)));
    let expected: number[] = [];
    await waitUntil('the patient’s events on the wire', async () => {
      expected = await loggedIds({ id: 'pat-1', role: 'patient' }, admittedId - 1);
      return wireIds().join() === expected.join();
    }).catch(() => undefined);
    const frames = assertOnceInOrder('pat-1');
    assert.deepEqual(
      frames.map((f) => Number(f.id)),
      expected,
    );
    assert.deepEqual(frames.filter((f) => f.event === 'admitted').length, 1);
    // The provider's and the second patient's streams too (their first frames are a snapshot).
    for (const user of ['dr-1', 'pat-2']) assertOnceInOrder(user);
  }
});
