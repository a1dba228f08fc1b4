// End to end: the runnable examples in examples/, each built with the repository's Vite (JS API,
// into a temporary folder) and run in Chromium with fake devices against a real token server and
// the dev media server, both in this process on free ports.
//  - vite-sdk: a custom UI on the SDK alone; the doctor admits the patient, they see each other, chat.
//  - react: <consult-room> in React 19, properties and events through React's custom-element support.
//  - express-mount: the token server mounted in an Express app next to the app's own routes; the
//    page the app serves joins through it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { startDevMediaServer, type DevMediaServer } from '../../server/dev-media-server/index.js';
import {
  silentLogger,
  startTokenServer,
  type RunningTokenServer,
} from '../../server/token-server/index.js';
import { createPortal, listen } from '../../examples/express-mount/server.js';
import { launchBrowser } from './support/browser.js';

const root = new URL('../../', import.meta.url).pathname;
const WAIT_MS = 20_000;

let media: DevMediaServer;
let tokens: RunningTokenServer;
let browser: Browser;
let workDir: string;
const contexts: BrowserContext[] = [];
const previews: PreviewServer[] = [];
/** Console errors and page errors per page, shown when an assertion fails. */
const problems = new Map<Page, string[]>();

/** Builds one example with its own vite.config.ts into the work folder; returns the folder and ms. */
async function buildExample(name: string): Promise<{ outDir: string; ms: number }> {
  const outDir = join(workDir, name);
  const started = performance.now();
  await build({
    configFile: join(root, 'examples', name, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const ms = Math.round(performance.now() - started);
  console.log(`# vite build examples/${name}: ${ms} ms`);
  return { outDir, ms };
}

/** Serves a built example with `vite preview` (its config's `/api` proxy to the token server). */
async function previewExample(name: string, outDir: string): Promise<string> {
  process.env['CONSULT_KIT_TOKEN_SERVER'] = tokens.url;
  const server = await preview({
    configFile: join(root, 'examples', name, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: true, open: false },
  });
  previews.push(server);
  const url = server.resolvedUrls?.local[0];
  assert.ok(url, 'vite preview has a URL');
  return url;
}

async function openPage(url: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('console', (m) => {
    if (m.type() === 'error') seen.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => seen.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  await page.goto(url);
  return page;
}

/**
 * Waits for `fn(arg)` to be truthy in the page; on timeout the page's console errors join the
 * message. (One string argument keeps playwright's argument typing simple.)
 */
async function waitIn(
  page: Page,
  what: string,
  fn: (arg: string) => unknown,
  arg = '',
): Promise<void> {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (error) {
    const errors = problems.get(page) ?? [];
    throw new Error(
      `${what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` +
        (errors.length ? `\nconsole errors: ${errors.join(' | ')}` : ''),
      { cause: error },
    );
  }
}

/** The <consult-room> members the React test reads (this program has no component types). */
interface RoomProperties {
  consultId: string;
  tokenUrl: string | undefined;
  displayName: string;
  auth: unknown;
  leave(): Promise<void>;
}

let consultSeq = 0;
function newConsultId(example: string): string {
  return `example-${example}-${process.pid}-${++consultSeq}`;
}

describe('examples', { timeout: 180_000 }, () => {
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'consultkit-examples-'));
    media = await startDevMediaServer({ port: 0, recording: false });
    tokens = await startTokenServer({
      port: 0,
      openviduUrl: media.url,
      openviduSecret: media.secret,
      demo: true,
      // The vite-sdk page admits its patient from its own lobby list; elsewhere both join at once.
      waitingRoom: (consultId) => consultId.startsWith('example-vite-sdk-'),
      rateLimit: false,
      logger: silentLogger,
      env: {},
    });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await browser?.close();
    for (const server of previews.splice(0)) await server.close();
    await tokens?.close();
    await media?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('type-checks every example (examples/tsconfig.json)', () => {
    const started = performance.now();
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'examples/tsconfig.json', '--noEmit'],
      { cwd: root, encoding: 'utf8' },
    );
    console.log(`# tsc -p examples/tsconfig.json: ${Math.round(performance.now() - started)} ms`);
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('vite-sdk: the doctor admits the patient, both see each other, mute shows remotely, chat unread count', async () => {
    const { outDir } = await buildExample('vite-sdk');
    const url = await previewExample('vite-sdk', outDir);
    const consultId = newConsultId('vite-sdk');

    const doctor = await openPage(url);
    const patient = await openPage(url);
    const signIn = async (page: Page, username: string): Promise<void> => {
      await page.selectOption('select[name=username]', username);
      await page.fill('input[name=consult]', consultId);
      await page.click('#login button[type=submit]');
    };

    // The doctor joins; the patient waits; the doctor admits them from state.lobby.
    await signIn(doctor, 'doctor');
    await waitIn(
      doctor,
      'doctor in the call',
      () => document.querySelector('#status')?.textContent === 'In the call with 0 other(s)',
    );
    await signIn(patient, 'patient');
    await waitIn(patient, 'patient waiting', () =>
      /^In the waiting room/.test(document.querySelector('#status')?.textContent ?? ''),
    );
    await doctor.click('#lobby-list button:has-text("Admit Pat Demo")');
    await waitIn(
      doctor,
      'lobby emptied',
      () => document.querySelector<HTMLElement>('#lobby')?.hidden === true,
    );

    // Each page draws two tiles from session.state, and the remote one plays decoded video.
    for (const [page, other] of [
      [doctor, 'Pat Demo'],
      [patient, 'Dr. Demo'],
    ] as const) {
      await waitIn(
        page,
        `${other}'s video playing`,
        (name) => {
          const tile = document.querySelector(`.tile:not([data-local])[data-name="${name}"]`);
          const video = tile?.querySelector('video');
          return (
            document.querySelectorAll('.tile').length === 2 &&
            !!video &&
            video.readyState >= 2 &&
            video.videoWidth > 0 &&
            video.currentTime > 0.2
          );
        },
        other,
      );
      assert.match((await page.textContent('#status')) ?? '', /In the call with 1 other/);
    }

    // The doctor mutes: the button flips, and the patient's tile of the doctor says so.
    await doctor.click('#mic');
    await waitIn(
      doctor,
      'mic button pressed',
      () => document.querySelector('#mic')?.getAttribute('aria-pressed') === 'true',
    );
    await waitIn(
      patient,
      "the doctor's tile muted",
      () =>
        document.querySelector('.tile[data-name="Dr. Demo"]')?.getAttribute('data-audio') === 'off',
    );
    assert.match(
      (await patient.textContent('.tile[data-name="Dr. Demo"] figcaption')) ?? '',
      /muted/,
    );

    // Chat: the doctor writes with the chat open; the patient's closed chat counts it as unread.
    await doctor.click('#chat-toggle');
    await doctor.fill('#chat-form input[name=text]', 'Hello from the doctor');
    await doctor.click('#chat-form button[type=submit]');
    await waitIn(
      doctor,
      'own message sent',
      () =>
        document.querySelector('#messages li:last-child')?.getAttribute('data-delivery') === 'sent',
    );
    await waitIn(patient, 'unread badge 1', () => {
      const badge = document.querySelector<HTMLElement>('#unread');
      return !!badge && !badge.hidden && badge.textContent === '1';
    });
    assert.equal(await patient.getAttribute('#chat-toggle', 'aria-label'), 'Chat, 1 unread');
    await patient.click('#chat-toggle');
    await waitIn(
      patient,
      'badge cleared once the chat is open',
      () => document.querySelector<HTMLElement>('#unread')?.hidden === true,
    );
    assert.equal(await patient.textContent('#messages li'), 'Dr. Demo: Hello from the doctor');

    // The reply reaches the doctor, whose chat is open: shown, and never counted as unread.
    await patient.fill('#chat-form input[name=text]', 'Hi, doctor');
    await patient.click('#chat-form button[type=submit]');
    await waitIn(
      doctor,
      'the reply',
      () =>
        document.querySelector('#messages li:last-child')?.textContent === 'Pat Demo: Hi, doctor',
    );
    assert.equal(await doctor.isHidden('#unread'), true);

    // Leaving ends the call on that page and removes the doctor's tile on the other.
    await doctor.click('#leave');
    await waitIn(
      doctor,
      'left',
      () => document.querySelector('#status')?.textContent === 'You left the call',
    );
    await waitIn(patient, 'one tile left', () => document.querySelectorAll('.tile').length === 1);
    await patient.click('#leave');
    assert.deepEqual(problems.get(doctor), []);
    assert.deepEqual(problems.get(patient), []);
  });

  it('react: props reach <consult-room>, pre-join preview, join, React-handled consult-* events', async () => {
    const { outDir } = await buildExample('react');
    const url = await previewExample('react', outDir);
    const consultId = newConsultId('react');
    const status = '[role=status][data-phase]';

    const signIn = async (page: Page, username: string): Promise<void> => {
      await page.selectOption('select[name=username]', username);
      await page.fill('form input:not([type])', consultId);
      await page.click('form button[type=submit]');
    };
    const doctor = await openPage(url);
    await signIn(doctor, 'doctor');

    // React set the properties (not attributes): the room built its own session from them and
    // shows the device preview; the device-check event reached React state.
    await waitIn(doctor, 'pre-join preview playing', () => {
      const room = document.querySelector('consult-room');
      // The preview is in the room's <consult-prejoin>.
      const video = room?.shadowRoot
        ?.querySelector('consult-prejoin')
        ?.shadowRoot?.querySelector<HTMLVideoElement>('[part~="preview"]');
      return !!video && video.readyState >= 2 && video.videoWidth > 0;
    });
    const props = await doctor.evaluate(() => {
      const room = document.querySelector<HTMLElement & RoomProperties>('consult-room');
      return {
        consultId: room?.consultId,
        tokenUrl: room?.tokenUrl,
        displayName: room?.displayName,
        authIsFunction: typeof room?.auth === 'function',
        attributes: room ? room.getAttributeNames() : [],
      };
    });
    assert.deepEqual(props, {
      consultId,
      tokenUrl: '/api',
      displayName: 'Dr. Demo',
      authIsFunction: true,
      attributes: [],
    });
    await waitIn(
      doctor,
      'device check in React state',
      (s) => /Camera: ok, microphone: ok\./.test(document.querySelector(s)?.textContent ?? ''),
      status,
    );

    // Join: consult-join switches React to the in-call phase; a patient joining shows up through
    // consult-participant-join.
    await doctor.click('consult-room [part~="join-button"]');
    await waitIn(
      doctor,
      'React in-call phase',
      (s) => document.querySelector(s)?.getAttribute('data-phase') === 'in-call',
      status,
    );
    const patient = await openPage(url);
    await signIn(patient, 'patient');
    await patient.click('consult-room [part~="join-button"]');
    await waitIn(
      doctor,
      'the patient in React state',
      (s) => document.querySelector(s)?.textContent === 'In the call with Pat Demo',
      status,
    );
    // Videos and names are in the room's <consult-tile>s, one shadow root further.
    await waitIn(doctor, "the patient's video in the room", () =>
      Array.from(
        document.querySelector('consult-room')?.shadowRoot?.querySelectorAll('consult-tile') ?? [],
      )
        .flatMap((tile) => Array.from(tile.shadowRoot?.querySelectorAll('video') ?? []))
        .some((v) => !v.muted && v.readyState >= 2 && v.videoWidth > 0),
    );
    /** Whether the patient's room shows (`want` 'shown') or no longer shows a tile named Dr. Demo. */
    const doctorTile = (want: string): boolean =>
      Array.from(
        document.querySelector('consult-room')?.shadowRoot?.querySelectorAll('consult-tile') ?? [],
      )
        .flatMap((tile) => Array.from(tile.shadowRoot?.querySelectorAll('[part~="name"]') ?? []))
        .some((name) => name.textContent?.includes('Dr. Demo')) ===
      (want === 'shown');
    await waitIn(patient, "the doctor's tile at the patient", doctorTile, 'shown');

    // Leave: React cancels consult-request-leave and asks itself, then calls the element's
    // leave(); consult-leave lands in React state with the reason and the call's duration.
    await doctor.click('consult-room [part~="leave-button"]');
    await doctor.waitForSelector('[role=alertdialog]');
    assert.equal(
      await doctor.locator('consult-room [part~="leave-dialog"][open]').count(),
      0,
      'the built-in confirmation stays closed',
    );
    await doctor.click('[role=alertdialog] button:has-text("End consultation")');
    await waitIn(
      doctor,
      'React ended phase',
      (s) => /^Call ended \(left\) after \d+ s$/.test(document.querySelector(s)?.textContent ?? ''),
      status,
    );
    assert.equal(await doctor.locator('consult-room').count(), 0, 'React unmounted the room');
    await waitIn(patient, 'the doctor gone on the other side', doctorTile, 'gone');
    await patient.evaluate(() =>
      document.querySelector<HTMLElement & RoomProperties>('consult-room')?.leave(),
    );
    assert.deepEqual(problems.get(doctor), []);
    assert.deepEqual(problems.get(patient), []);
  });

  it('express-mount: own routes next to the mounted token server, and the served SDK page joins', async () => {
    const { outDir } = await buildExample('express-mount');
    const portal = await createPortal({
      tokenServer: {
        openviduUrl: media.url,
        openviduSecret: media.secret,
        demo: true,
        waitingRoom: false,
        rateLimit: false,
        logger: silentLogger,
        env: {},
      },
      staticDir: outDir,
    });
    const { server, url } = await listen(portal.app, 0);
    try {
      const call = async (
        method: string,
        path: string,
        body?: unknown,
        token?: string,
      ): Promise<{ status: number; type: string; json: unknown }> => {
        const response = await fetch(url + path, {
          method,
          headers: {
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const type = response.headers.get('content-type') ?? '';
        return {
          status: response.status,
          type,
          json: type.includes('json') ? await response.json() : await response.text(),
        };
      };

      // The app's own routes, with its own JSON body parser after the mount.
      assert.deepEqual((await call('GET', '/health')).json, { ok: true });
      const consultId = newConsultId('express');
      const created = await call('POST', '/appointments', { consultId });
      assert.equal(created.status, 201);
      assert.equal((await call('POST', '/appointments', { consultId: '../x' })).status, 400);
      const appointments = (await call('GET', '/appointments')).json as { consultId: string }[];
      assert.deepEqual(
        appointments.map((a) => a.consultId),
        ['consult-42', consultId],
      );

      // The token server under /api, through Express: OpenAPI, demo login, a token, its errors.
      const openapi = await call('GET', '/api/openapi.json');
      assert.equal(openapi.status, 200);
      const doc = openapi.json as { openapi: string; paths: Record<string, unknown> };
      assert.match(doc.openapi, /^3\.1/);
      assert.ok('/api/consults/{consultId}/token' in doc.paths, Object.keys(doc.paths).join());
      const login = await call('POST', '/api/auth/login', {
        username: 'doctor',
        password: 'doctor123',
      });
      assert.equal(login.status, 200);
      const { accessToken } = login.json as { accessToken: string };
      const token = await call('POST', `/api/consults/${consultId}/token`, {}, accessToken);
      assert.equal(token.status, 200, JSON.stringify(token.json));
      const issued = token.json as { token: string; role: string; consultId: string };
      assert.equal(issued.role, 'provider');
      assert.equal(issued.consultId, consultId);
      assert.match(issued.token, /^wss?:\/\//);
      const wrong = await call('POST', '/api/auth/login', { username: 'doctor', password: 'no' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.type, /json/);
      assert.equal((await call('POST', `/api/consults/${consultId}/token`, {})).status, 401);

      // The page Express serves: both sides join the new appointment and see each other's video.
      const pages: Page[] = [];
      for (const username of ['doctor', 'patient']) {
        const page = await openPage(url);
        pages.push(page);
        await page.selectOption('#user', username);
        await page.click(`button[data-consult-id="${consultId}"]`);
      }
      for (const page of pages) {
        await waitIn(page, 'connected with 2 and remote video playing', () => {
          const remote = Array.from(document.querySelectorAll('video')).find((v) => !v.muted);
          return (
            document.querySelector('#status')?.textContent === 'connected: 2 in the call' &&
            !!remote &&
            remote.readyState >= 2 &&
            remote.videoWidth > 0
          );
        });
        assert.deepEqual(problems.get(page), []);
      }
      for (const page of pages) await page.context().close();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await portal.close();
    }
  });
});
