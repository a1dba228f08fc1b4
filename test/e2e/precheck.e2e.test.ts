// End to end: the pre-call test through the real stack. The reference token server (anonymous
// `POST /api/precheck`, behind the page's origin) and the dev media server (werift); Chromium with
// the fake camera runs `<consult-precheck>` and `client.precheck()` (real openvidu-browser). A clean
// loopback reads good; the dev server's network impairment (loss + delay on every connection) makes
// the same test read poor with the matching advice; a stopped media server reads
// media-server-unreachable. Debian's Firefox ESR (puppeteer-core over WebDriver BiDi, fake devices)
// walks the same element through the same steps, on a clean and on an impaired link, and must reach
// the same verdicts and fire the same result event.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type {
  Browser as FirefoxBrowser,
  BrowserContext as FirefoxContext,
  Page as FirefoxPage,
} from 'puppeteer-core';
import type { PrecheckResult } from '../../src/index.js';
import { startDevMediaServer, type DevMediaServer } from '../../server/dev-media-server/index.js';
import { startTokenServer, type RunningTokenServer } from '../../server/token-server/index.js';
import { chromiumFlags } from '../../scripts/chromium-flags.mjs';
import { waitUntil } from './support/browser.js';
import { launchFirefox } from './support/firefox.js';
import { bundleForPage } from './support/page-bundle.js';

const PAGE_ENTRY = `
import { createConsultClient } from './src/index.ts';
import './components/consult-precheck.ts';
globalThis.harness = {
  async precheck() {
    const client = createConsultClient({ tokenUrl: '/api' });
    const test = await client.precheck({ durationMs: 4000 });
    try {
      return await test.result;
    } finally {
      test.dispose();
    }
  },
};
`;

interface Harness {
  precheck(): Promise<PrecheckResult>;
}
declare const harness: Harness;

const silent = { debug() {}, info() {}, warn() {}, error() {} };

let media: DevMediaServer;
let mediaClosed = false;
let tokens: RunningTokenServer;
let web: Server;
let browser: Browser;
let firefox: FirefoxBrowser;
const firefoxContexts: FirefoxContext[] = [];
let baseUrl: string;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function impair(method: 'PUT' | 'DELETE', body?: unknown): Promise<void> {
  const response = await fetch(`${media.url}/openvidu/api/dev/impairment`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${media.secret}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  assert.equal(response.status, 200, await response.text());
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

async function openPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(baseUrl);
  await page.waitForFunction(() => 'harness' in globalThis);
  return page;
}

function describeResult(r: PrecheckResult): string {
  return JSON.stringify({ verdict: r.verdict, advice: r.advice, network: r.network });
}

/** A page in Firefox with the element, its `consult-precheck-result` kept on `globalThis`. */
async function openFirefoxPage(): Promise<FirefoxPage> {
  const context = await firefox.createBrowserContext();
  firefoxContexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`firefox: ${String(error)}`));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(`firefox: ${m.text()}`));
  await page.goto(baseUrl);
  assert.match(await page.evaluate(() => navigator.userAgent), /Firefox\//);
  await page.waitForFunction(() => 'harness' in globalThis);
  await page.evaluate(() => {
    const el = document.querySelector('consult-precheck')!;
    el.setAttribute('token-url', '/api');
    el.addEventListener('consult-precheck-result', (e) => {
      (globalThis as { precheckResult?: PrecheckResult }).precheckResult = (
        e as Event & { detail: { result: PrecheckResult } }
      ).detail.result;
    });
  });
  return page;
}

/** Clicks the element's `[part~=name]` in Firefox once it is there and enabled. */
async function clickPart(page: FirefoxPage, name: string, timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    `firefox: [part~="${name}"] (page errors: ${pageErrors.join(' | ')})`,
    () =>
      page.evaluate((part) => {
        const button = document
          .querySelector('consult-precheck')
          ?.shadowRoot?.querySelector<HTMLButtonElement>(`[part~="${part}"]`);
        if (!button || button.disabled) return false;
        button.click();
        return true;
      }, name),
    timeoutMs,
  );
}

/** Walks `<consult-precheck>` through its steps in Firefox; the result event's result. */
async function firefoxElementResult(
  page: FirefoxPage,
): Promise<PrecheckResult & { verdictText: string }> {
  await clickPart(page, 'start-button');
  await waitUntil(
    'firefox: the camera preview plays',
    () =>
      page.evaluate(() => {
        const video = document
          .querySelector('consult-precheck')
          ?.shadowRoot?.querySelector<HTMLVideoElement>('video[part~="preview"]');
        return (video?.videoWidth ?? 0) > 0;
      }),
    15_000,
  );
  await clickPart(page, 'next-button');
  await waitUntil(
    'firefox: the microphone meter',
    () =>
      page.evaluate(
        () =>
          !!document
            .querySelector('consult-precheck')
            ?.shadowRoot?.querySelector('[part~="mic-level"]'),
      ),
    15_000,
  );
  await clickPart(page, 'next-button');
  await clickPart(page, 'heard-button');
  return waitUntil(
    'firefox: consult-precheck-result and the verdict',
    () =>
      page.evaluate(() => {
        const verdict = document
          .querySelector('consult-precheck')
          ?.shadowRoot?.querySelector('[part~="verdict"]');
        const result = (globalThis as { precheckResult?: PrecheckResult }).precheckResult;
        return verdict && result ? { ...result, verdictText: verdict.textContent ?? '' } : false;
      }),
    60_000,
  );
}

describe(
  'pre-call test through the token server and the dev media server',
  { timeout: 180_000 },
  () => {
    before(async () => {
      media = await startDevMediaServer({ port: 0, recording: false });
      tokens = await startTokenServer({
        port: 0,
        openviduUrl: media.url,
        openviduSecret: media.secret,
        auth: { secret: 'e2e-precheck-secret-0123456789abcdef', issuer: 'e2e', audience: 'e2e' },
        authorize: () => true,
        // Five pre-call tests from one address in this file: above the defaults' bursts (3
        // anonymous, 6 signed in per 10 s), which their own tests cover.
        precheck: {
          anonymousRateLimit: { capacity: 20 },
          rateLimit: { capacity: 20 },
        },
        env: {},
        logger: silent,
      });
      const js = await bundleForPage({
        contents: PAGE_ENTRY,
        sourcefile: 'e2e-precheck.ts',
        tsconfigRaw: {
          compilerOptions: { experimentalDecorators: true, useDefineForClassFields: false },
        },
      });
      // One origin for the page and the API (the token server behind `/api`, as a portal mounts it).
      web = createServer((req, res) => {
        if (req.url === '/sdk.js') {
          res.setHeader('content-type', 'text/javascript');
          res.end(js);
        } else if (req.url?.startsWith('/api/')) {
          void readBody(req)
            .then((body) =>
              fetch(`${tokens.url}${req.url}`, {
                method: req.method ?? 'GET',
                headers: { 'content-type': 'application/json' },
                ...(req.method === 'POST' ? { body } : {}),
              }),
            )
            .then(async (answer) => {
              res.statusCode = answer.status;
              res.setHeader(
                'content-type',
                answer.headers.get('content-type') ?? 'application/json',
              );
              res.end(await answer.text());
            })
            .catch(async (error: unknown) => {
              res.statusCode = 502;
              res.end(String(error));
            });
        } else {
          res.setHeader('content-type', 'text/html');
          res.end(
            '<!doctype html><html lang="en"><meta charset="utf-8"><title>precheck</title><script src="/sdk.js"></script><consult-precheck></consult-precheck></html>',
          );
        }
      });
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://localhost:${(web.address() as AddressInfo).port}/`;
      [browser, firefox] = await Promise.all([
        chromium.launch({
          executablePath: process.env['CHROME_PATH'] || '/usr/bin/chromium',
          args: chromiumFlags(),
        }),
        launchFirefox(),
      ]);
    });

    after(async () => {
      for (const context of contexts.splice(0)) await context.close();
      await browser?.close();
      for (const context of firefoxContexts.splice(0)) await context.close().catch(() => undefined);
      await firefox?.close();
      await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
      await tokens?.close();
      if (!mediaClosed) await media?.close();
    });

    it('<consult-precheck> reads good on a clean loopback and fires consult-precheck-result', async () => {
      const page = await openPage();
      await page.evaluate(() => {
        const el = document.querySelector('consult-precheck')!;
        el.setAttribute('token-url', '/api');
        el.addEventListener('consult-precheck-result', (e) => {
          (globalThis as { precheckResult?: PrecheckResult }).precheckResult = (
            e as Event & { detail: { result: PrecheckResult } }
          ).detail.result;
        });
      });
      const part = (name: string) => page.locator(`consult-precheck [part~="${name}"]`);
      await part('start-button')
        .click({ timeout: 15_000 })
        .catch((error: unknown) => {
          throw new Error(`${String(error)}; page errors: ${pageErrors.join(' | ')}`);
        });
      await part('preview').waitFor({ timeout: 15_000 });
      await part('next-button').click();
      await part('mic-level').waitFor();
      await part('next-button').click();
      await part('heard-button').click();
      await part('verdict').waitFor({ timeout: 60_000 });
      const result = await page.evaluate(
        () => (globalThis as { precheckResult?: PrecheckResult }).precheckResult,
      );
      assert.ok(result, 'consult-precheck-result was dispatched');
      assert.equal(result.verdict, 'good', describeResult(result));
      assert.equal(result.speaker, 'heard');
      assert.equal(result.network.status, 'ok');
      assert.ok(result.network.samples >= 3, describeResult(result));
      assert.ok((result.network.downKbps ?? 0) > 30, describeResult(result));
      assert.ok(['host', 'srflx', 'prflx'].includes(result.network.candidateType ?? ''));
      assert.equal(result.network.turn, 'not-configured');
      assert.match(result.precheckId ?? '', /^precheck_/);
      assert.match((await part('verdict').textContent()) ?? '', /You are ready/);
    });

    it('client.precheck() reads poor with advice when the media path loses and delays packets', async () => {
      const page = await openPage();
      await impair('PUT', { loss: 15, delayMs: 350 });
      try {
        const result = await page.evaluate(() => harness.precheck());
        assert.equal(result.verdict, 'poor', describeResult(result));
        assert.ok(
          result.advice.includes('high-latency') || result.advice.includes('packet-loss'),
          describeResult(result),
        );
        assert.ok((result.network.roundTripMs ?? 0) >= 400, describeResult(result));
      } finally {
        await impair('DELETE');
      }
    });

    it('<consult-precheck> in Firefox reads good on a clean loopback and fires consult-precheck-result', async () => {
      const page = await openFirefoxPage();
      const result = await firefoxElementResult(page);
      assert.equal(result.verdict, 'good', describeResult(result));
      assert.equal(result.speaker, 'heard');
      assert.equal(result.camera.status, 'ok', JSON.stringify(result.camera));
      assert.equal(result.network.status, 'ok', describeResult(result));
      assert.ok(result.network.samples >= 3, describeResult(result));
      assert.ok((result.network.downKbps ?? 0) > 30, describeResult(result));
      assert.ok((result.network.upKbps ?? 0) > 30, describeResult(result));
      assert.ok(result.network.roundTripMs !== undefined, describeResult(result));
      assert.ok(['host', 'srflx', 'prflx'].includes(result.network.candidateType ?? ''));
      assert.equal(result.network.turn, 'not-configured');
      assert.match(result.precheckId ?? '', /^precheck_/);
      assert.match(result.verdictText, /You are ready/);
    });

    it('<consult-precheck> in Firefox reads poor with advice on an impaired link', async () => {
      const page = await openFirefoxPage();
      await impair('PUT', { loss: 15, delayMs: 350 });
      try {
        const result = await firefoxElementResult(page);
        assert.equal(result.verdict, 'poor', describeResult(result));
        assert.ok(
          result.advice.includes('high-latency') || result.advice.includes('packet-loss'),
          describeResult(result),
        );
        assert.ok((result.network.roundTripMs ?? 0) >= 400, describeResult(result));
        assert.doesNotMatch(result.verdictText, /You are ready/);
      } finally {
        await impair('DELETE');
      }
    });

    it('reads poor with media-server-unreachable when the media server is down', async () => {
      const page = await openPage();
      mediaClosed = true;
      await media.close();
      const result = await page.evaluate(() => harness.precheck());
      assert.equal(result.network.status, 'failed', describeResult(result));
      assert.equal(result.verdict, 'poor');
      assert.deepEqual(result.advice, ['media-server-unreachable']);
    });
  },
);
