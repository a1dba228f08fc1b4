// End to end: charting mode and mute requests in the npm start demo (server/demo.ts: embedded dev
// media server, token server, the script-tag portal under a strict CSP), in Chromium with fake
// camera and microphone. The doctor pops the call out into a Document Picture-in-Picture window
// (a real click: the browser needs the user's gesture) and back, twice (the window's "back to tab"
// button, then closing the window), while the patient keeps sending audio and video: the doctor's
// receivers keep decoding (framesDecoded and audio packets keep rising), nothing reconnects (same
// connection id, same peer connections and signalling socket), and the window shows the same
// MediaStream with the theme and styles applied under the CSP. Then the doctor asks the patient to
// mute from the tile menu; the patient's room shows the request and the patient mutes with one tap;
// the request is not stored as chat.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../server/demo.js';
import { launchBrowser, waitUntil } from './support/browser.js';
import {
  MEDIA_COUNTERS_SCRIPT,
  type InboundTotals,
  type MediaCountersWindow,
} from './support/media-counters.js';

const WAIT_MS = 20_000;

// Runs before the portal's scripts: keeps the page's RTCPeerConnections and WebSockets (to read
// receiver statistics and prove nothing reconnects) and records CSP violations, the page's and
// the Picture-in-Picture window's (which inherits the page's policy).
const INIT_SCRIPT = `
(() => {
  const e2e = { sockets: [], pcs: [], csp: [], charting: [] };
  const NativeWebSocket = WebSocket;
  globalThis.WebSocket = class extends NativeWebSocket {
    constructor(...args) { super(...args); e2e.sockets.push(this); }
  };
  const NativePc = RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends NativePc {
    constructor(...args) { super(...args); e2e.pcs.push(this); }
  };
  const onViolation = (e) => e2e.csp.push(e.violatedDirective + ' ' + e.blockedURI);
  document.addEventListener('securitypolicyviolation', onViolation);
  document.addEventListener('consult-charting-change', (e) => {
    e2e.charting.push(e.detail);
    const win = globalThis.documentPictureInPicture?.window;
    if (e.detail.open && win) win.document.addEventListener('securitypolicyviolation', onViolation);
  });
  globalThis.__e2e = e2e;
})();
`;

interface E2eWindow {
  __e2e: {
    pcs: RTCPeerConnection[];
    sockets: WebSocket[];
    csp: string[];
    charting: Array<{ open: boolean; mode: string }>;
  };
  documentPictureInPicture?: { window: Window | null };
}

interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  errors: string[];
}

let demo: RunningDemo;
let browser: Browser;
let workDir: string;
const people: Person[] = [];
let doctor: Person;
let patient: Person;

async function open(name: string, url: string): Promise<Person> {
  const context = await browser.newContext();
  await context.addInitScript({ content: MEDIA_COUNTERS_SCRIPT });
  await context.addInitScript({ content: INIT_SCRIPT });
  const page = await context.newPage();
  const person: Person = { name, context, page, errors: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') person.errors.push(m.text());
  });
  page.on('pageerror', (e) => person.errors.push(`pageerror: ${e.message}`));
  people.push(person);
  await page.goto(url);
  return person;
}

const part = (p: Person, name: string): Locator => p.page.locator(`[part~="${name}"]`);

async function joinCall(p: Person): Promise<void> {
  await part(p, 'device-status').first().waitFor({ timeout: WAIT_MS });
  await p.page.getByRole('button', { name: 'Join', exact: true }).click();
}

/** The doctor's receive side: video frames decoded and audio packets, summed over the page's peer connections. */
function received(p: Person): Promise<InboundTotals> {
  return p.page.evaluate(() => {
    const page = globalThis as unknown as E2eWindow & MediaCountersWindow;
    return page.__mediaCounters.inboundTotals(page.__e2e.pcs);
  });
}

/** Waits until the doctor decodes 20 more video frames and receives 25 more audio packets. */
async function assertStillReceiving(p: Person, when: string): Promise<void> {
  const first = await received(p);
  await waitUntil(
    `${p.name} ${when}: framesDecoded and audio packets rising`,
    async () => {
      const now = await received(p);
      return (
        now.videoFrames >= first.videoFrames + 20 && now.audioPackets >= first.audioPackets + 25
      );
    },
    WAIT_MS,
  );
}

/** What proves the connection is the same one: connection id, peer connections, open sockets. */
function connectionOf(p: Person): Promise<{ id: string; pcs: number; sockets: number }> {
  return p.page.evaluate(() => {
    const e2e = (globalThis as unknown as E2eWindow).__e2e;
    const room = document.querySelector('consult-room') as HTMLElement & {
      activeSession: { state: { participants: Array<{ id: string; isLocal: boolean }> } };
    };
    const local = room.activeSession.state.participants.find((x) => x.isLocal);
    return {
      id: local?.id ?? '',
      pcs: e2e.pcs.filter((pc) => pc.connectionState !== 'closed').length,
      sockets: e2e.sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
    };
  });
}

/** What the doctor's Picture-in-Picture window shows, read from the page (undefined when closed). */
function pipWindowState(p: Person) {
  return p.page.evaluate(() => {
    const w = globalThis as unknown as E2eWindow;
    const win = w.documentPictureInPicture?.window;
    const root = win?.document.querySelector('.consult-charting')?.shadowRoot;
    if (!win || !root) return undefined;
    const video = root.querySelector<HTMLVideoElement>('video[part~="remote-video"]');
    const tile = document
      .querySelector('consult-room')
      ?.shadowRoot?.querySelector('[part~="tile"]:not([part~="local"])')
      ?.shadowRoot?.querySelector('video');
    const mic = root.querySelector<HTMLElement>('[part~="mic-button"]')!;
    const leave = root.querySelector<HTMLElement>('[part~="leave-button"]')!;
    return {
      lang: win.document.documentElement.lang,
      dir: win.document.documentElement.dir,
      sameStream: !!video && video.srcObject === tile?.srcObject,
      videoWidth: video?.videoWidth ?? 0,
      hasLocal: root.querySelector('video[part~="local-video"]') !== null,
      hasTimer: root.querySelector('[part~="timer"]') !== null,
      micBackground: win.getComputedStyle(mic).backgroundColor,
      leaveBackground: win.getComputedStyle(leave).backgroundColor,
      minBlockSize: win.getComputedStyle(leave).minBlockSize,
      stageHiddenInPage:
        (
          document.querySelector('consult-room')?.shadowRoot?.querySelector('[part~="stage"]') as
            HTMLElement | undefined
        )?.hidden ?? false,
    };
  });
}

/** Clicks a control in the doctor's Picture-in-Picture window (closing needs no gesture). */
function clickInPip(p: Person, partName: string): Promise<void> {
  return p.page.evaluate((name) => {
    const win = (globalThis as unknown as E2eWindow).documentPictureInPicture?.window;
    const root = win?.document.querySelector('.consult-charting')?.shadowRoot;
    root?.querySelector<HTMLElement>(`[part~="${name}"]`)?.click();
  }, partName);
}

describe('charting mode and mute requests in the demo', { timeout: 240_000 }, () => {
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ck-charting-e2e-'));
    demo = await startDemo({
      port: 0,
      mediaPort: 0,
      logLevel: 'silent',
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

  it('the doctor and the patient are in a call', async () => {
    doctor = await open('doctor', `${demo.urls.modulePortal}?as=doctor`);
    await joinCall(doctor);
    await part(doctor, 'call').waitFor({ timeout: WAIT_MS });
    patient = await open('patient', demo.urls.patient);
    await joinCall(patient);
    await doctor.page.getByRole('button', { name: 'Admit Pat Demo' }).click({ timeout: WAIT_MS });
    await part(patient, 'call').waitFor({ timeout: WAIT_MS });
    await doctor.page.getByRole('group', { name: /^Pat Demo/ }).waitFor({ timeout: WAIT_MS });
    await assertStillReceiving(doctor, 'in the page');
  });

  it('pops the call out and back (back to tab, then closing the window) without a reconnect', async () => {
    // A theme set on the room: the window must take it.
    await doctor.page.evaluate(() =>
      document
        .querySelector<HTMLElement>('consult-room')
        ?.style.setProperty('--consult-color-accent', 'rgb(12, 34, 56)'),
    );
    const before = await connectionOf(doctor);
    assert.ok(before.id, 'the doctor has a connection id');

    for (const close of ['back-to-tab-button', 'window-close'] as const) {
      await doctor.page.bringToFront();
      await part(doctor, 'charting-button').click();
      const pip = await waitUntil(
        `the charting window opens (${close})`,
        () => pipWindowState(doctor),
        WAIT_MS,
      );
      assert.equal(pip.lang, 'en');
      assert.equal(pip.dir, 'ltr');
      assert.ok(pip.sameStream, 'the window plays the same MediaStream as the page tile');
      assert.ok(pip.hasLocal && pip.hasTimer);
      assert.ok(pip.stageHiddenInPage, 'the page shows the placeholder instead of the stage');
      // Styles and theme hold under the strict CSP: the microphone is on (pressed, accent colour
      // from the page's theme), leave has the danger colour, buttons their 44px minimum.
      assert.equal(pip.micBackground, 'rgb(12, 34, 56)');
      assert.notEqual(pip.leaveBackground, 'rgba(0, 0, 0, 0)');
      assert.equal(pip.minBlockSize, '44px');
      await part(doctor, 'charting-placeholder').waitFor({ timeout: WAIT_MS });

      await assertStillReceiving(doctor, 'while popped out');
      await waitUntil(
        'the window’s video has frames',
        async () => ((await pipWindowState(doctor))?.videoWidth ?? 0) > 0,
        WAIT_MS,
      );

      if (close === 'back-to-tab-button') await clickInPip(doctor, 'back-to-tab-button');
      else
        await doctor.page.evaluate(() =>
          (globalThis as unknown as E2eWindow).documentPictureInPicture?.window?.close(),
        );
      await part(doctor, 'charting-placeholder').waitFor({ state: 'detached', timeout: WAIT_MS });
      await waitUntil(
        'the window is gone',
        async () => (await pipWindowState(doctor)) === undefined,
        WAIT_MS,
      );
      await assertStillReceiving(doctor, 'back in the page');
      assert.deepEqual(await connectionOf(doctor), before, 'same connection, no reconnect');
    }
    const events = await doctor.page.evaluate(
      () => (globalThis as unknown as E2eWindow).__e2e.charting,
    );
    assert.deepEqual(events, [
      { open: true, mode: 'document' },
      { open: false, mode: 'document' },
      { open: true, mode: 'document' },
      { open: false, mode: 'document' },
    ]);
    const violations = await doctor.page.evaluate(
      () => (globalThis as unknown as E2eWindow).__e2e.csp,
    );
    assert.deepEqual(violations, [], 'no CSP violations in the page or the window');
  });

  it('the doctor asks the patient to mute; the patient mutes with one tap; nothing is stored as chat', async () => {
    await doctor.page.getByRole('button', { name: 'More options for Pat Demo' }).click();
    await doctor.page.getByRole('menuitem', { name: 'Ask to mute' }).click();
    const banner = part(patient, 'mute-request');
    await banner.waitFor({ timeout: WAIT_MS });
    assert.match((await banner.textContent()) ?? '', /The provider asked you to mute\./);
    assert.equal(await part(patient, 'mic-button').getAttribute('aria-pressed'), 'true');
    await patient.page.getByRole('button', { name: 'Mute', exact: true }).click();
    await banner.waitFor({ state: 'detached', timeout: WAIT_MS });
    assert.equal(await part(patient, 'mic-button').getAttribute('aria-pressed'), 'false');
    await doctor.page.getByRole('group', { name: /^Pat Demo, microphone off/ }).waitFor({
      timeout: WAIT_MS,
    });
    const res = await fetch(`${demo.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'doctor', password: 'doctor123' }),
    });
    const { accessToken } = (await res.json()) as { accessToken: string };
    const history = await fetch(`${demo.url}/api/consults/demo/messages`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    assert.equal(history.status, 200);
    assert.deepEqual(((await history.json()) as { messages: unknown[] }).messages, []);
    for (const p of [doctor, patient]) assert.deepEqual(p.errors, [], `${p.name}: console errors`);
  });
});
