// End to end: invited guests and the provider's queue, on `npm start`'s demo stack (server/demo.ts:
// token server in demo mode, embedded dev media server, the script-tag portal) in this process on
// free ports, in Chromium with fake devices. The doctor is in consult "demo" on the ES-module
// portal page. A guest page (`<consult-room token-url="/api" invite="…">` on the demo's CDN build)
// redeems an invite, waits, is admitted, consents to the recording, is removed, and cannot come
// back with the used link. A queue page (`<consult-queue>` bundled from source) shows a patient who
// starts waiting in a second consultation within a second, and admits them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CreateInviteResponse } from '../../src/contract.js';
import { startDemo, type RunningDemo } from '../../server/demo.js';
import { launchBrowser } from './support/browser.js';

const WAIT_MS = 20_000;
const root = fileURLToPath(new URL('../..', import.meta.url));

let demo: RunningDemo;
let browser: Browser;
let workDir: string;
let doctorToken: string;
let queueBundle: string;
const contexts: BrowserContext[] = [];

async function login(username: string, password: string): Promise<string> {
  const r = await fetch(`${demo.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(r.status, 200);
  return ((await r.json()) as { accessToken: string }).accessToken;
}

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${demo.url}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${doctorToken}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** A page in its own context; `html` is served at `/e2e/page.html` on the demo's origin. */
async function open(url: string, html?: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  await context.route(`${demo.url}/e2e/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/e2e/queue.js')
      return route.fulfill({ body: queueBundle, contentType: 'text/javascript' });
    return route.fulfill({ body: html ?? '', contentType: 'text/html' });
  });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

const guestPage = (secret: string) =>
  open(
    `${demo.url}/e2e/page.html`,
    `<!doctype html><html lang="en"><head><script type="module" src="/cdn/consult-kit.js"></script></head>
<body><consult-room token-url="/api" invite="${secret}"></consult-room></body></html>`,
  );

async function joinCall(page: Page): Promise<void> {
  await page.locator('[part~="device-status"]').first().waitFor({ timeout: WAIT_MS });
  await page.getByRole('button', { name: 'Join', exact: true }).click();
}

describe('invited guests and the provider queue', { timeout: 240_000 }, () => {
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ck-guest-e2e-'));
    demo = await startDemo({
      port: 0,
      mediaPort: 0,
      logLevel: 'silent',
      recordingsDir: join(workDir, 'recordings'),
    });
    // The test's own pages are answered by Playwright (route.fulfill), which Chromium does not
    // count as a local address; its local-network-access check would then block the page's
    // WebSocket to the media server on localhost.
    browser = await launchBrowser({ extraArgs: ['--disable-features=LocalNetworkAccessChecks'] });
    doctorToken = await login('doctor', 'doctor123');
    const { build } = await import('esbuild');
    const out = await build({
      stdin: {
        contents: `import ${JSON.stringify(join(root, 'components/consult-queue.ts'))};
const el = document.createElement('consult-queue');
el.auth = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
el.apiUrl = '/api';
el.setAttribute('lang', 'en');
document.body.append(el);`,
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2021',
      tsconfig: join(root, 'tsconfig.json'),
      define: { __DEV__: 'false' },
      logLevel: 'error',
    });
    queueBundle = out.outputFiles[0]?.text ?? '';
    assert.ok(queueBundle.length > 0);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await demo?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('an invited guest joins, consents, is removed, and cannot rejoin with the used link', async () => {
    const doctor = await open(`${demo.urls.modulePortal}?as=doctor`);
    await joinCall(doctor);
    await doctor.locator('[part~="call"]').waitFor({ timeout: WAIT_MS });

    const created = await api('POST', '/consults/demo/invites', {
      displayName: 'Ana (interpreter)',
      expiresInSec: 3600,
    });
    assert.equal(created.status, 201);
    const { secret, invite } = (await created.json()) as CreateInviteResponse;

    const guest = await guestPage(secret);
    await joinCall(guest);
    await guest
      .getByRole('heading', { name: 'The provider will let you in shortly' })
      .waitFor({ timeout: WAIT_MS });
    await doctor
      .getByRole('button', { name: 'Admit Ana (interpreter)' })
      .click({ timeout: WAIT_MS });
    await guest.locator('[part~="call"]').waitFor({ timeout: WAIT_MS });
    await doctor.getByRole('group', { name: /^Ana \(interpreter\)/ }).waitFor({ timeout: WAIT_MS });
    await guest.getByRole('group', { name: /^Dr\. Demo/ }).waitFor({ timeout: WAIT_MS });

    // Asked for recording consent like everyone.
    await doctor.locator('[part~="record-button"]').click();
    const consent = guest.getByRole('dialog', { name: 'May this consultation be recorded?' });
    await consent.getByRole('button', { name: 'Allow recording' }).click({ timeout: WAIT_MS });
    await guest.locator('[part~="recording-indicator"]').waitFor({ timeout: WAIT_MS });
    await doctor.locator('[part~="record-button"]').click();
    await doctor
      .locator('[part~="recording-indicator"]')
      .waitFor({ state: 'detached', timeout: WAIT_MS });

    // Removed by the provider.
    const guestId = `invite:${invite.inviteId}`;
    const removed = await api(
      'POST',
      `/consults/demo/participants/${encodeURIComponent(guestId)}/remove`,
      {},
    );
    assert.equal(removed.status, 200);
    await guest
      .getByText('You were removed from the consultation')
      .first()
      .waitFor({ timeout: WAIT_MS });

    // The used link no longer opens anything.
    const again = await guestPage(secret);
    await again
      .getByText('This invitation link is no longer valid (used, expired or revoked).')
      .first()
      .waitFor({ timeout: WAIT_MS });
    const redeem = await fetch(`${demo.url}/api/invites/redeem`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ secret }),
    });
    assert.equal(redeem.status, 410);
    assert.equal(((await redeem.json()) as { error: { code: string } }).error.code, 'invite-used');

    const audit = await api('GET', '/consults/demo/audit');
    const actions = ((await audit.json()) as { entries: Array<{ action: string }> }).entries.map(
      (e) => e.action,
    );
    for (const a of [
      'invite.created',
      'invite.redeemed',
      'lobby.admitted',
      'consent.given',
      'participant.removed',
    ])
      assert.ok(actions.includes(a), `${a} in the audit trail`);
  });

  it("a patient starting to wait in a second consult appears in the provider's queue within a second and is admitted from it", async () => {
    const queue = await open(
      `${demo.url}/e2e/page.html#token=${encodeURIComponent(doctorToken)}`,
      `<!doctype html><html lang="en"><head><script type="module" src="/e2e/queue.js"></script></head><body></body></html>`,
    );
    await queue
      .locator('consult-queue')
      .getByText('Nobody is waiting.')
      .waitFor({ timeout: WAIT_MS });

    const patient = await open(`${demo.urls.patient2}&consult=e2e-second`);
    await joinCall(patient);
    await patient
      .getByRole('heading', { name: 'The provider will let you in shortly' })
      .waitFor({ timeout: WAIT_MS });
    const waitingSince = Date.now();
    const entry = queue.getByRole('listitem').filter({ hasText: 'Sam Demo' });
    await entry.waitFor({ timeout: WAIT_MS });
    const elapsed = Date.now() - waitingSince;
    assert.ok(elapsed < 1000, `shown after ${elapsed} ms`);
    assert.match((await entry.textContent()) ?? '', /Consultation e2e-second/);
    assert.match((await entry.textContent()) ?? '', /Camera works/);

    await queue.getByRole('button', { name: 'Admit Sam Demo' }).click();
    await patient.locator('[part~="call"]').waitFor({ timeout: WAIT_MS });
    await queue
      .locator('consult-queue')
      .getByText('Nobody is waiting.')
      .waitFor({ timeout: WAIT_MS });
  });
});
