// End to end: a patient on a phone. `npm start`'s demo (embedded dev media server, token server with
// the waiting room and chat) in this process on free ports; the provider in desktop Chromium, the
// patient in Chromium's mobile emulation (a 390×844 touch screen at 3× that turns to 844×390) with
// getDisplayMedia removed, as on phone browsers that cannot share a screen. The steps build on each
// other, in order. WebKit (iOS Safari) is not available on these machines: docs/mobile.md says what
// is and is not covered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../server/demo.js';
import { launchBrowser, waitUntil } from './support/browser.js';
import { ROOM_PROBE_SCRIPT, playwrightRoomPage, type RoomPage } from './support/room-page.js';

const WAIT_MS = 20_000;
const PORTRAIT = { width: 390, height: 844 };
const LANDSCAPE = { width: 844, height: 390 };
/** The smallest touch target, in CSS px. */
const MIN_TARGET = 44;

// Before the portal's scripts: a phone browser without screen capture.
const NO_SCREEN_CAPTURE = `delete MediaDevices.prototype.getDisplayMedia;`;

let demo: RunningDemo;
let browser: Browser;
const contexts: BrowserContext[] = [];
let doctorPage: Page;
let phonePage: Page;
let doctor: RoomPage;
let phone: RoomPage;

function waitForPart(p: RoomPage, part: string, gone = false): Promise<true> {
  return waitUntil(
    `${p.name}: [part~="${part}"]${gone ? ' gone' : ''}`,
    async () => (await p.probe('count', part)) > 0 !== gone || undefined,
    WAIT_MS,
  );
}

async function assertVideoFlows(p: RoomPage, page: Page, more = 5): Promise<void> {
  await page.bringToFront();
  await waitUntil(
    `${p.name}: remote video with a size`,
    async () => (await p.probe('remoteVideoWidth')) > 0,
    WAIT_MS,
  );
  const v = await p.probe('frames', more, 10_000);
  assert.ok(v.frames >= more, `${p.name}: ${v.frames} new remote video frames in 10 s`);
}

async function assertAudioFlows(p: RoomPage): Promise<void> {
  const first = await p.probe('packets', 'audio');
  await waitUntil(
    `${p.name}: audio packets arriving`,
    async () => (await p.probe('packets', 'audio')) >= first + 25,
    WAIT_MS,
  );
}

/** No sideways scrolling; every control in view is big enough for a finger; inline video. */
async function assertPhoneLayout(where: string): Promise<void> {
  assert.equal(await phone.probe('overflowX'), 0, `${where}: sideways scroll`);
  assert.deepEqual(await phone.probe('smallControls', MIN_TARGET), [], `${where}: small controls`);
  assert.ok((await phone.probe('videosInline')).every(Boolean), `${where}: inline video`);
}

describe(
  'a patient on a phone (Chromium mobile emulation), end to end',
  { timeout: 240_000 },
  () => {
    before(async () => {
      demo = await startDemo({ port: 0, mediaPort: 0, logLevel: 'silent' });
      browser = await launchBrowser();
    });

    after(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close();
      await demo?.close();
    });

    it('joins by touch from the waiting room; video and audio flow both ways', async () => {
      const desk = await browser.newContext();
      contexts.push(desk);
      await desk.addInitScript({ content: ROOM_PROBE_SCRIPT });
      doctorPage = await desk.newPage();
      doctor = playwrightRoomPage('doctor', doctorPage);
      await doctorPage.goto(`${demo.urls.modulePortal}?as=doctor`);
      await doctorPage
        .getByRole('button', { name: 'Join', exact: true })
        .click({ timeout: WAIT_MS });
      await waitForPart(doctor, 'call');

      const mobile = await browser.newContext({
        viewport: PORTRAIT,
        deviceScaleFactor: 3,
        isMobile: true,
        hasTouch: true,
      });
      contexts.push(mobile);
      await mobile.addInitScript({ content: NO_SCREEN_CAPTURE });
      await mobile.addInitScript({ content: ROOM_PROBE_SCRIPT });
      phonePage = await mobile.newPage();
      phone = playwrightRoomPage('phone', phonePage);
      await phonePage.goto(demo.urls.patient);
      assert.equal(await phonePage.evaluate(() => navigator.maxTouchPoints > 0), true, 'touch');
      await phonePage.getByRole('button', { name: 'Join', exact: true }).tap({ timeout: WAIT_MS });
      await waitForPart(phone, 'waiting');
      await doctorPage.getByRole('button', { name: 'Admit Pat Demo' }).click({ timeout: WAIT_MS });
      await waitForPart(phone, 'call');

      await assertVideoFlows(phone, phonePage);
      await assertAudioFlows(phone);
      await assertVideoFlows(doctor, doctorPage);
      await assertAudioFlows(doctor);
    });

    it('portrait: no sideways scroll, 44 px controls, inline video, no screen-share button', async () => {
      await phonePage.bringToFront();
      await assertPhoneLayout('portrait');
      assert.equal(await phone.probe('count', 'screen-button'), 0, 'no screen share');
      assert.equal(await doctor.probe('count', 'screen-button'), 1, 'the desktop can share');
    });

    it('portrait: the chat opens as a sheet over the whole call and closes back to it', async () => {
      await phonePage.locator('[part~="chat-button"]').tap();
      const call = await phone.probe('box', 'call');
      const panel = await phone.probe('box', 'chat-panel');
      assert.ok(call.height && panel.height && call.width && panel.width);
      assert.ok(Math.abs(panel.height - call.height) <= 1, `height ${panel.height}/${call.height}`);
      assert.ok(Math.abs(panel.width - call.width) <= 1, `width ${panel.width}/${call.width}`);
      await assertPhoneLayout('portrait, chat open');
      await phonePage.getByRole('textbox', { name: 'Message' }).fill('Hello from my phone');
      await phonePage.getByRole('button', { name: 'Send' }).tap();
      await waitUntil(
        'doctor sees the message',
        async () => (await doctor.probe('chat')).includes('Hello from my phone') || undefined,
        WAIT_MS,
      );
      await phonePage.getByRole('button', { name: 'Close chat' }).tap();
      await waitForPart(phone, 'stage');
      assert.equal(await phone.probe('visible', 'stage'), true, 'the call is back');
    });

    it('turning the phone sideways keeps the call: same connections, video both ways, layout holds', async () => {
      const before = await phone.probe('pcStates');
      assert.ok(before.length > 0 && before.every((s) => s === 'connected'), before.join());
      await phonePage.setViewportSize(LANDSCAPE);
      await waitUntil(
        'landscape',
        () => phonePage.evaluate(() => innerWidth === 844 && innerHeight === 390),
        WAIT_MS,
      );
      await assertPhoneLayout('landscape');
      assert.equal(await phone.probe('count', 'reconnecting'), 0, 'no reconnection');
      assert.deepEqual(await phone.probe('pcStates'), before, 'the same peer connections');
      await assertVideoFlows(phone, phonePage);
      await assertAudioFlows(phone);
      await assertVideoFlows(doctor, doctorPage);

      // Sideways, the chat is a full-height sheet beside the call.
      await phonePage.bringToFront();
      await phonePage.locator('[part~="chat-button"]').tap();
      const call = await phone.probe('box', 'call');
      const panel = await phone.probe('box', 'chat-panel');
      assert.ok(call.height && panel.height);
      assert.ok(Math.abs(panel.height - call.height) <= 1, `height ${panel.height}/${call.height}`);
      await assertPhoneLayout('landscape, chat open');
      await phonePage.getByRole('button', { name: 'Close chat' }).tap();

      await phonePage.setViewportSize(PORTRAIT);
      await waitUntil(
        'portrait again',
        () => phonePage.evaluate(() => innerWidth === 390),
        WAIT_MS,
      );
      await assertPhoneLayout('portrait again');
      assert.deepEqual(await phone.probe('pcStates'), before, 'still the same peer connections');
      await assertVideoFlows(phone, phonePage);
    });
  },
);
