// End to end: `npm start`'s demo (server/demo.ts `startDemo`: embedded dev media server, token server
// in demo mode with webhooks, the examples/script-tag portal under a strict CSP) started in this
// process on free ports, and driven through the portal pages in Chromium with fake camera and
// microphone, as two or three people would: the doctor on the ES-module build (module.html), the
// patients on the classic-script build (index.html). The whole suite runs once per media backend
// (`npm start -- --backend openvidu|livekit`; env DEMO_E2E_BACKENDS, default both): one stack and
// one browser per backend; each person has their own browser context. The steps build on each
// other, in order.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  DEMO_BACKENDS,
  parseDemoBackend,
  startDemo,
  type DemoBackend,
  type RunningDemo,
} from '../../server/demo.js';
import { findFfmpeg, findFfprobe, run } from '../../server/dev-media-server/media/ffmpeg.js';
import { launchBrowser, waitUntil } from './support/browser.js';
import {
  MEDIA_COUNTERS_SCRIPT,
  type FrameCount,
  type MediaCountersWindow,
} from './support/media-counters.js';

const WAIT_MS = 20_000;
/**
 * A stopped recording becomes `ready` once the media server has composed the MP4 (ffmpeg, CPU
 * bound): 3.4 s measured on an idle machine, over 20 s at load average 20 on two cores.
 */
const READY_MS = 60_000;
const DENY_REASON = 'The doctor is with another patient; please book a new time.';
const LOG_LEVEL = (process.env['DEMO_E2E_LOG'] ?? 'silent') as 'debug' | 'silent';
const BACKENDS: readonly DemoBackend[] = (
  process.env['DEMO_E2E_BACKENDS'] ?? DEMO_BACKENDS.join(',')
)
  .split(',')
  .map((b) => parseDemoBackend(b.trim(), 'DEMO_E2E_BACKENDS'));

// Runs before the portal's scripts (init scripts are not subject to the page's CSP). It keeps the
// page's WebSockets and RTCPeerConnections so the test can cut the signalling connection and read
// receiver statistics, and records CSP violations and the room's recording events.
const INIT_SCRIPT = `
(() => {
  const e2e = { sockets: [], pcs: [], csp: [], recording: [], blocked: false };
  const NativeWebSocket = WebSocket;
  globalThis.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      e2e.sockets.push(this);
      // A cut network: every new signalling connection fails at once.
      if (e2e.blocked) this.close();
    }
  };
  const NativePc = RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends NativePc {
    constructor(...args) { super(...args); e2e.pcs.push(this); }
  };
  document.addEventListener('securitypolicyviolation', (e) => e2e.csp.push(e.violatedDirective + ' ' + e.blockedURI));
  document.addEventListener('consult-recording-change', (e) => e2e.recording.push({ status: e.detail.recording.status, at: Date.now() }));
  e2e.block = () => {
    e2e.blocked = true;
    for (const s of e2e.sockets) if (s.readyState <= 1) s.close();
  };
  e2e.unblock = () => { e2e.blocked = false; };
  // Frames presented by the other person's <video> (support/media-counters.ts). The tile is a
  // <consult-tile> in the room's shadow root; its <video> is in the tile's own.
  e2e.frames = (n, ms) => globalThis.__mediaCounters.countFrames(
    () => document.querySelector('consult-room')?.shadowRoot
      ?.querySelector('[part~="tile"]:not([part~="local"])')?.shadowRoot
      ?.querySelector('video[part~="video"]'),
    n,
    ms,
  );
  globalThis.__e2e = e2e;
})();
`;

/** What the init script leaves on `globalThis`. */
interface E2eWindow {
  __e2e: {
    pcs: RTCPeerConnection[];
    csp: string[];
    recording: Array<{ status: string; at: number }>;
    block(): void;
    unblock(): void;
    frames(n: number, ms: number): Promise<FrameCount>;
  };
}

interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

let demo: RunningDemo;
let browser: Browser;
let workDir: string;
const people: Person[] = [];
let doctor: Person;
let patient: Person;
let recordedMs = 0;

async function open(name: string, url: string): Promise<Person> {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript({ content: MEDIA_COUNTERS_SCRIPT });
  await context.addInitScript({ content: INIT_SCRIPT });
  const page = await context.newPage();
  const person: Person = { name, context, page, errors: [], requests: [] };
  page.on('console', (m) => {
    if (LOG_LEVEL !== 'silent') process.stderr.write(`[${name}] ${m.type()}: ${m.text()}\n`);
    if (m.type() === 'error') person.errors.push(m.text());
  });
  page.on('pageerror', (e) => person.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => person.requests.push(r.url()));
  people.push(person);
  await page.goto(url);
  return person;
}

const room = (p: Person): Locator => p.page.locator('consult-room');
const part = (p: Person, name: string): Locator => p.page.locator(`[part~="${name}"]`);

/** Clicks Join on the pre-join screen once the device check has passed. */
async function joinCall(p: Person): Promise<void> {
  await part(p, 'device-status').first().waitFor({ timeout: WAIT_MS });
  assert.equal(await p.page.locator('[part~="device-status"][part~="problem"]').count(), 0);
  await p.page.getByRole('button', { name: 'Join', exact: true }).click();
}

/** The other person's `<video>` in the room (inside their tile): its width (0 without a stream). */
function remoteVideoWidth(p: Person): Promise<number> {
  return p.page.evaluate(() => {
    // The tile is a <consult-tile> in the room's shadow root; its <video> is in the tile's own.
    const v = document
      .querySelector('consult-room')
      ?.shadowRoot?.querySelector('[part~="tile"]:not([part~="local"])')
      ?.shadowRoot?.querySelector<HTMLVideoElement>('video[part~="video"]');
    return v && v.srcObject instanceof MediaStream ? v.videoWidth : 0;
  });
}

/** Waits until the other person's video has a size and presents `more` new frames. */
async function assertVideoFlows(p: Person, more = 5): Promise<FrameCount> {
  // Headless Chromium paints (and presents frames) only in the window in front.
  await p.page.bringToFront();
  await waitUntil(
    `${p.name}: remote video with a size`,
    async () => (await remoteVideoWidth(p)) > 0,
    WAIT_MS,
  );
  const v = await p.page.evaluate(
    ([n, ms]) => (globalThis as unknown as E2eWindow).__e2e.frames(n, ms),
    [more, 10_000] as const,
  );
  assert.ok(v.frames >= more, `${p.name}: ${v.frames} new remote video frames in 10 s`);
  assert.ok(v.width > 0);
  return v;
}

/** Audio packets received on the page's peer connections, summed. */
async function audioPackets(p: Person): Promise<number> {
  const totals = await p.page.evaluate(() => {
    const page = globalThis as unknown as E2eWindow & MediaCountersWindow;
    return page.__mediaCounters.inboundTotals(page.__e2e.pcs);
  });
  return totals.audioPackets;
}

async function assertAudioFlows(p: Person): Promise<void> {
  const first = await audioPackets(p);
  await waitUntil(
    `${p.name}: audio packets arriving`,
    async () => (await audioPackets(p)) >= first + 25,
    WAIT_MS,
  );
}

/** The chat messages `p` sees, as texts. */
async function chatTexts(p: Person): Promise<string[]> {
  return p.page.locator('[part~="message"] [part~="text"]').allTextContents();
}

async function send(p: Person, text: string): Promise<void> {
  const box = p.page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await p.page.getByRole('button', { name: 'Send' }).click();
}

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${demo.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

let doctorToken: string | undefined;

/** GET as the doctor (one login: the demo allows 10 logins per IP in a burst). */
async function asDoctor<T>(path: string): Promise<T> {
  doctorToken ??= await login('doctor', 'doctor123');
  const res = await fetch(`${demo.url}${path}`, {
    headers: { Authorization: `Bearer ${doctorToken}` },
  });
  assert.equal(res.status, 200, `${path} answered ${res.status}`);
  return (await res.json()) as T;
}

async function leave(p: Person): Promise<void> {
  await part(p, 'leave-button').click();
  const dialog = p.page.getByRole('dialog', { name: 'Leave the consultation?' });
  await dialog.getByRole('button', { name: 'Leave' }).click();
  await p.page.getByRole('heading', { name: 'The consultation has ended' }).waitFor({
    timeout: WAIT_MS,
  });
}

for (const backend of BACKENDS) {
  describe(
    `npm start demo (${backend}): the script-tag portal end to end`,
    { timeout: 360_000 },
    () => {
      before(async () => {
        people.length = 0;
        doctorToken = undefined;
        recordedMs = 0;
        workDir = await mkdtemp(join(tmpdir(), 'ck-demo-e2e-'));
        demo = await startDemo({
          backend,
          port: 0,
          mediaPort: 0,
          // DEMO_E2E_LOG=debug prints both servers' JSON logs (and the pages' console) to stderr.
          logLevel: LOG_LEVEL,
          recordingsDir: join(workDir, 'recordings'),
        });
        browser = await launchBrowser();
      });

      after(async () => {
        for (const p of people) await p.context.close().catch(() => undefined);
        await browser?.close();
        await demo?.close();
        if (workDir) await rm(workDir, { recursive: true, force: true });
      });

      it('serves both CDN builds under a strict CSP without console errors; lang="es" loads i18n/es.js', async () => {
        const res = await fetch(demo.urls.portal);
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /script-src 'self';/);
        assert.match(csp, /style-src 'self';/);
        assert.doesNotMatch(csp, /unsafe-(inline|eval)/);
        await res.body?.cancel();

        // ES-module build: the pre-join screen renders and the device check passes.
        const esm = await open('esm check', `${demo.urls.modulePortal}?as=doctor`);
        await part(esm, 'device-status').first().waitFor({ timeout: WAIT_MS });
        await esm.page.getByRole('button', { name: 'Join', exact: true }).waitFor();
        // Classic-script build in Spanish: the translation comes from cdn/i18n/es.js.
        const iife = await open('iife check', `${demo.urls.patient}&lang=es`);
        await iife.page.getByRole('button', { name: 'Entrar', exact: true }).waitFor({
          timeout: WAIT_MS,
        });
        await iife.page.getByRole('heading', { name: 'Prepárese para entrar' }).waitFor();
        assert.ok(
          iife.requests.some((u) => new URL(u).pathname === '/cdn/i18n/es.js'),
          'i18n/es.js was requested',
        );
        assert.ok(iife.requests.some((u) => u.endsWith('/cdn/consult-kit.iife.js')));
        assert.ok(!iife.requests.some((u) => u.endsWith('/cdn/consult-kit.js')));
        assert.ok(esm.requests.some((u) => u.endsWith('/cdn/consult-kit.js')));
        // The IIFE never carries livekit-client (LiveKit calls load /cdn/livekit-client.js).
        const iifeText = await (await fetch(`${demo.url}/cdn/consult-kit.iife.js`)).text();
        assert.ok(!iifeText.includes('SignalRequest'), 'livekit-client is not in the IIFE');
        assert.ok(iifeText.includes('livekit-client.js'));
        for (const p of [esm, iife]) {
          const violations = await p.page.evaluate(
            () => (globalThis as unknown as E2eWindow).__e2e.csp,
          );
          assert.deepEqual(violations, [], `${p.name}: CSP violations`);
          assert.deepEqual(p.errors, [], `${p.name}: console errors`);
          await p.context.close();
        }
      });

      it('the patient waits, the doctor admits; each decodes the other’s video and receives audio', async () => {
        doctor = await open('doctor', `${demo.urls.modulePortal}?as=doctor`);
        await joinCall(doctor);
        await part(doctor, 'call').waitFor({ timeout: WAIT_MS });

        patient = await open('patient', demo.urls.patient);
        await joinCall(patient);
        await patient.page
          .getByRole('heading', { name: 'The provider will let you in shortly' })
          .waitFor({
            timeout: WAIT_MS,
          });
        await doctor.page
          .getByRole('button', { name: 'Admit Pat Demo' })
          .click({ timeout: WAIT_MS });
        await part(patient, 'call').waitFor({ timeout: WAIT_MS });

        for (const p of [doctor, patient]) {
          const v = await assertVideoFlows(p);
          assert.ok(v.width > 0);
          await assertAudioFlows(p);
        }
        await doctor.page.getByRole('group', { name: /^Pat Demo/ }).waitFor();
        await patient.page.getByRole('group', { name: /^Dr\. Demo/ }).waitFor();
        // The media library each build loaded: only LiveKit calls load livekit-client, the IIFE
        // from the file next to it, the ES-module build as a chunk.
        const lkIife = patient.requests.some((u) => u.endsWith('/cdn/livekit-client.js'));
        const lkChunk = doctor.requests.some((u) =>
          /\/cdn\/chunks\/livekit-client[^/]*\.js$/.test(u),
        );
        assert.equal(lkIife, backend === 'livekit', 'patient (IIFE) loaded livekit-client.js');
        assert.equal(
          lkChunk,
          backend === 'livekit',
          'doctor (ESM) loaded the livekit-client chunk',
        );
        // Signed in: the portal shows the room, not the sign-in form above it.
        for (const p of [doctor, patient]) {
          assert.equal(
            await p.page.locator('#sign-in').isVisible(),
            false,
            `${p.name}: sign-in form`,
          );
          assert.equal(await p.page.locator('#who').isVisible(), true, `${p.name}: who`);
        }
      });

      it('a second patient is denied and sees why', async () => {
        const second = await open('second patient', demo.urls.patient2);
        await joinCall(second);
        await second.page
          .getByRole('heading', { name: 'The provider will let you in shortly' })
          .waitFor({
            timeout: WAIT_MS,
          });
        await doctor.page
          .getByRole('button', { name: 'Deny Sam Demo' })
          .waitFor({ timeout: WAIT_MS });
        // The room's Deny button sends no reason; the reason goes through the room's session (SDK).
        await room(doctor).evaluate(
          (el, reason) =>
            (
              el as HTMLElement & { activeSession: { deny(id: string, r: string): Promise<void> } }
            ).activeSession.deny('patient2', reason),
          DENY_REASON,
        );
        await second.page
          .getByRole('heading', { name: 'The provider did not let you in.' })
          .waitFor({
            timeout: WAIT_MS,
          });
        assert.equal(
          (await part(second, 'denied').locator('.reason').textContent())?.trim(),
          `Reason: ${DENY_REASON}`,
        );
        await doctor.page
          .getByRole('button', { name: 'Deny Sam Demo' })
          .waitFor({ state: 'detached' });
        await second.context.close();
      });

      it('chat both ways: unread badge while closed, cleared when opened; a reload restores the history', async () => {
        await part(doctor, 'chat-button').click();
        await send(doctor, 'Good morning, how are you feeling?');
        await waitUntil(
          'patient unread 1',
          async () => (await part(patient, 'unread-badge').textContent()) === '1',
          WAIT_MS,
        );
        await send(doctor, 'Any fever since yesterday?');
        await waitUntil(
          'patient unread 2',
          async () => (await part(patient, 'unread-badge').textContent()) === '2',
          WAIT_MS,
        );

        await part(patient, 'chat-button').click();
        await part(patient, 'unread-badge').waitFor({ state: 'detached' });
        assert.deepEqual(await chatTexts(patient), [
          'Good morning, how are you feeling?',
          'Any fever since yesterday?',
        ]);
        await send(patient, 'Better, <b>no</b> fever.');
        await waitUntil(
          'doctor sees the reply',
          async () => (await chatTexts(doctor)).includes('Better, <b>no</b> fever.'),
          WAIT_MS,
        );
        // Names and messages are text, never markup.
        assert.equal(await doctor.page.locator('[part~="message"] b').count(), 0);
        assert.equal(await part(doctor, 'unread-badge').count(), 0, 'open panel: nothing unread');

        await patient.page.reload();
        await joinCall(patient); // admitted before: straight in
        await part(patient, 'call').waitFor({ timeout: WAIT_MS });
        await part(patient, 'chat-button').click();
        await waitUntil(
          'history after reload',
          async () => ((await chatTexts(patient)).length === 3 ? true : undefined),
          WAIT_MS,
        );
        assert.deepEqual(await chatTexts(patient), [
          'Good morning, how are you feeling?',
          'Any fever since yesterday?',
          'Better, <b>no</b> fever.',
        ]);
        // The reloaded page never said goodbye: the doctor sees its old connection until the media
        // server's reconnection window (10 s) closes it, then one Pat Demo again.
        await waitUntil(
          'doctor: one tile for the patient again',
          async () =>
            (await doctor.page.locator('[part~="tile"]:not([part~="local"])').count()) === 1,
          WAIT_MS,
        );
        await assertVideoFlows(doctor);
        await assertVideoFlows(patient);
      });

      it('a network cut shows the reconnecting banner; messages sent meanwhile arrive once; the call recovers', async () => {
        await patient.page.evaluate(() => (globalThis as unknown as E2eWindow).__e2e.block());
        await part(patient, 'reconnecting').waitFor({ timeout: WAIT_MS });
        await send(patient, 'Sent while offline (1)');
        await send(patient, 'Sent while offline (2)');
        await patient.page.evaluate(() => (globalThis as unknown as E2eWindow).__e2e.unblock());
        await part(patient, 'reconnecting').waitFor({ state: 'detached', timeout: WAIT_MS });

        const expected = [
          'Good morning, how are you feeling?',
          'Any fever since yesterday?',
          'Better, <b>no</b> fever.',
          'Sent while offline (1)',
          'Sent while offline (2)',
        ];
        await waitUntil(
          'doctor received both offline messages',
          async () => ((await chatTexts(doctor)).length >= 5 ? true : undefined),
          WAIT_MS,
        );
        assert.deepEqual(await chatTexts(doctor), expected);
        await waitUntil('patient: both delivered', async () => {
          const sending = await patient.page.getByText('Sending…').count();
          return sending === 0 ? true : undefined;
        });
        assert.deepEqual(await chatTexts(patient), expected);
        const history = await asDoctor<{ messages: Array<{ text: string }> }>(
          '/api/consults/demo/messages',
        );
        assert.deepEqual(
          history.messages.map((m) => m.text),
          expected,
        );
        await assertVideoFlows(doctor);
        await assertVideoFlows(patient);
        await assertAudioFlows(doctor);
      });

      it('recording: the doctor starts, the patient consents in the dialog, both see the indicator; stop', async () => {
        await part(doctor, 'record-button').click();
        const consent = patient.page.getByRole('dialog', {
          name: 'May this consultation be recorded?',
        });
        await consent.getByRole('button', { name: 'Allow recording' }).click({ timeout: WAIT_MS });
        await part(doctor, 'recording-indicator').waitFor({ timeout: WAIT_MS });
        await part(patient, 'recording-indicator').waitFor({ timeout: WAIT_MS });
        // A recording of about three seconds (a measured duration, not a wait for a condition).
        await new Promise((r) => setTimeout(r, 3000));
        await part(doctor, 'record-button').click();
        await part(doctor, 'recording-indicator').waitFor({ state: 'detached', timeout: WAIT_MS });
        await part(patient, 'recording-indicator').waitFor({ state: 'detached', timeout: WAIT_MS });
        const events = await doctor.page.evaluate(
          () => (globalThis as unknown as E2eWindow).__e2e.recording,
        );
        const started = events.find((e) => e.status === 'recording');
        const stopped = events.find(
          (e) => started && e.at >= started.at && e.status !== 'recording',
        );
        assert.ok(started && stopped, JSON.stringify(events));
        recordedMs = stopped.at - started.at;
        // The file is ready a moment later. (Leave before that and the end screen keeps saying "being
        // prepared": the session stops its event stream on leave and never hears 'ready'.)
        await waitUntil(
          'doctor: recording ready',
          async () =>
            (
              await doctor.page.evaluate(() => (globalThis as unknown as E2eWindow).__e2e.recording)
            ).some((e) => e.status === 'ready'),
          READY_MS,
        );
      });

      it('leaving shows the ended screen; the doctor downloads the recording (valid MP4)', async () => {
        await leave(patient);
        await leave(doctor);
        const button = doctor.page.getByRole('button', { name: 'Download recording' });
        await button.waitFor({ timeout: WAIT_MS });
        const [download] = await Promise.all([
          doctor.page.waitForEvent('download'),
          button.click(),
        ]);
        const file = join(workDir, 'download.mp4');
        await download.saveAs(file);
        assert.match(download.suggestedFilename(), /\.mp4$/);

        const ffprobe = await findFfprobe(await findFfmpeg());
        assert.ok(ffprobe, 'ffprobe is needed to check the recording');
        const { stdout } = await run(
          ffprobe,
          [
            '-v',
            'error',
            '-show_entries',
            'format=duration:stream=codec_type',
            '-of',
            'json',
            file,
          ],
          10_000,
        );
        const probe = JSON.parse(stdout) as {
          streams: Array<{ codec_type: string }>;
          format: { duration: string };
        };
        const kinds = probe.streams.map((s) => s.codec_type).sort();
        assert.deepEqual(kinds, ['audio', 'video']);
        const seconds = Number(probe.format.duration);
        assert.ok(
          Math.abs(seconds - recordedMs / 1000) < 1,
          `mp4 lasts ${seconds} s for ${recordedMs} ms recorded`,
        );
      });

      it('the audit lists every step; no page saw a CSP violation', async () => {
        const needed = [
          'token.issued',
          'lobby.entered',
          'lobby.admitted',
          'lobby.denied',
          'participant.joined',
          'participant.left',
          'consent.requested',
          'consent.given',
          'recording.started',
          'recording.stopped',
          'recording.downloaded',
        ];
        const actions = await waitUntil(
          'audit entries',
          async () => {
            const { entries } = await asDoctor<{ entries: Array<{ action: string }> }>(
              '/api/consults/demo/audit',
            );
            const set = new Set(entries.map((e) => e.action));
            return needed.every((a) => set.has(a)) ? set : undefined;
          },
          WAIT_MS,
        );
        assert.deepEqual(
          needed.filter((a) => !actions.has(a)),
          [],
        );
        for (const p of [doctor, patient]) {
          const violations = await p.page.evaluate(
            () => (globalThis as unknown as E2eWindow).__e2e.csp,
          );
          assert.deepEqual(violations, [], `${p.name}: CSP violations`);
          assert.deepEqual(
            p.errors.filter((e) => /Content Security Policy/i.test(e)),
            [],
          );
        }
      });
    },
  );
}
