import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../consult-room.js';
import type { ConsultRoom } from './consult-room.component.js';
import type { PictureInPictureSupport } from '../controllers/picture-in-picture-support.js';
import { FakeSession } from '../../src/testing/index.js';
import type { SessionState } from '../../src/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';
import { createStream } from '../test-utils/fake-streams.js';
import { deepQuery } from '../test-utils/deep-query.js';

function inCall(role: 'provider' | 'patient', state: Partial<SessionState> = {}): FakeSession {
  const session = new FakeSession({ role, ...state }, { createStream });
  session.simulateConnection('connected');
  session.simulateParticipantJoined(
    role === 'provider'
      ? { id: 'con-pat', userId: 'u-pat', displayName: 'Pat Doe', role: 'patient' }
      : { id: 'con-dr', userId: 'u-dr', displayName: 'Dr. Chen', role: 'provider' },
  );
  return session;
}

/**
 * A fake Document Picture-in-Picture: `requestWindow` hands out a same-origin iframe's window (a
 * document of its own, with its own realm and `CSSStyleSheet`), and `close()` is the window closing.
 */
function fakeDocumentPip(): {
  support: PictureInPictureSupport;
  frame: () => HTMLIFrameElement | undefined;
  close: () => void;
} {
  let frame: HTMLIFrameElement | undefined;
  return {
    support: {
      videoPictureInPicture: true,
      documentPictureInPicture: {
        async requestWindow() {
          frame = document.createElement('iframe');
          document.body.append(frame);
          return frame.contentWindow!;
        },
      },
    },
    frame: () => frame,
    close: () => {
      frame?.contentWindow?.dispatchEvent(new Event('pagehide'));
      frame?.remove();
    },
  };
}

async function mount(
  session: FakeSession,
  support: PictureInPictureSupport,
  attrs: { noCharting?: boolean; lang?: string } = {},
): Promise<ConsultRoom> {
  const el = await fixture<ConsultRoom>(
    html`<consult-room
      .session=${session}
      .pictureInPictureSupport=${support}
      ?no-charting=${attrs.noCharting ?? false}
      lang=${attrs.lang ?? 'en'}
      style="--consult-room-height: 600px; width: 900px; --consult-color-accent: rgb(1, 2, 3)"
    ></consult-room>`,
  );
  await el.updateComplete;
  return el;
}

const $ = <T extends HTMLElement = HTMLElement>(el: ConsultRoom, selector: string): T | null =>
  deepQuery<T>(el.shadowRoot!, selector);
/** The `<video>` of the other person's tile in the page. */
const remoteTileVideo = (el: ConsultRoom): HTMLVideoElement | null =>
  $(el, '[part~="tile"]:not([part~="local"])')?.shadowRoot?.querySelector('video') ?? null;
const text = (node: Element | null | undefined): string =>
  (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
const announced = (el: ConsultRoom): string => text($(el, '[part="announcer"]'));
/** The charting view's shadow root in the (fake) Picture-in-Picture window. */
const pipRoot = (frame: HTMLIFrameElement | undefined): ShadowRoot | null | undefined =>
  frame?.contentDocument?.querySelector('.consult-charting')?.shadowRoot;
const NONE: PictureInPictureSupport = {
  documentPictureInPicture: undefined,
  videoPictureInPicture: false,
};

describe('<consult-room> charting mode', () => {
  afterEach(() => document.querySelectorAll('iframe').forEach((f) => f.remove()));

  it('should pop the call into a Document Picture-in-Picture window and back, same streams', async () => {
    const session = inCall('provider', { callStartedAt: Date.now() - 60_000 });
    const pip = fakeDocumentPip();
    const el = await mount(session, pip.support, { lang: 'ar' });
    const tileVideo = (): HTMLVideoElement | null => remoteTileVideo(el);
    const remoteStream = session.state.participants.find((p) => !p.isLocal)?.stream;
    assert.ok(remoteStream, 'the fake remote participant has a stream');
    const pageVideo = tileVideo();
    assert.ok(pageVideo);
    const button = $<HTMLButtonElement>(el, '[part~="charting-button"]')!;
    assert.ok(button, 'the control is there where Document Picture-in-Picture is');
    assert.strictEqual(button.getAttribute('aria-pressed'), 'false');

    setTimeout(() => button.click());
    const opened = await oneEvent(el, 'consult-charting-change');
    assert.deepEqual(opened.detail, { open: true, mode: 'document' });
    await el.updateComplete;
    const root = pipRoot(pip.frame());
    assert.ok(root, 'the call is rendered into the window');
    const doc = pip.frame()!.contentDocument!;
    assert.strictEqual(doc.documentElement.lang, 'ar');
    assert.strictEqual(doc.documentElement.dir, 'rtl');
    // Styles are sheets of the window's own realm (a sheet of the page's cannot be adopted there).
    const win = pip.frame()!.contentWindow as Window & { CSSStyleSheet: typeof CSSStyleSheet };
    assert.isAbove(root.adoptedStyleSheets.length, 0);
    assert.ok(root.adoptedStyleSheets.every((s) => s instanceof win.CSSStyleSheet));
    // The theme follows: the room's --consult-* values are copied onto the window's host.
    const host = root.host as HTMLElement;
    assert.strictEqual(
      host.style.getPropertyValue('--consult-color-accent').trim(),
      'rgb(1, 2, 3)',
    );
    const pipVideo = root.querySelector<HTMLVideoElement>('video[part~="remote-video"]')!;
    assert.strictEqual(
      pipVideo.srcObject,
      remoteStream,
      'the same MediaStream, no new subscription',
    );
    assert.ok(pipVideo.muted, 'the sound stays with the page');
    assert.ok(root.querySelector('video[part~="local-video"]'), 'own preview');
    assert.ok(root.querySelector('[part~="timer"]'));
    // The page keeps its tiles (same video element and stream) behind a placeholder.
    assert.ok($(el, '[part~="charting-placeholder"]'));
    assert.ok($(el, '[part~="stage"]')!.hidden);
    assert.strictEqual(tileVideo(), pageVideo);
    assert.strictEqual(pageVideo!.srcObject, remoteStream);
    assert.ok(el.matches(':state(charting)'));
    assert.strictEqual(button.getAttribute('aria-pressed'), 'true');
    await expectNoAxeViolations(el);

    // Controls in the window act on the session; unread messages and recording show there.
    root.querySelector<HTMLButtonElement>('[part~="mic-button"]')!.click();
    await waitUntil(() => session.callsOf('setMicrophoneEnabled').length === 1);
    session.simulateMessage({ text: 'Hello' });
    session.simulateRecording('recording');
    await el.updateComplete;
    await waitUntil(() => text(root.querySelector('[part~="unread-badge"]')) === '1', 'badge');
    assert.ok(root.querySelector('[part~="recording-indicator"]'));

    setTimeout(() =>
      root.querySelector<HTMLButtonElement>('[part~="back-to-tab-button"]')!.click(),
    );
    const closed = await oneEvent(el, 'consult-charting-change');
    assert.deepEqual(closed.detail, { open: false, mode: 'document' });
    await el.updateComplete;
    assert.isNull($(el, '[part~="charting-placeholder"]'));
    assert.isFalse($(el, '[part~="stage"]')!.hidden);
    assert.strictEqual(tileVideo(), pageVideo, 'the same video element kept playing');
    assert.strictEqual(session.callsOf('connect').length, 0, 'no reconnect');
    assert.strictEqual(session.callsOf('leave').length, 0);
    assert.isFalse(el.matches(':state(charting)'));
  });

  it('should come back to the page when the window is closed, and ask before leaving from it', async () => {
    const session = inCall('provider');
    const pip = fakeDocumentPip();
    const el = await mount(session, pip.support);
    $<HTMLButtonElement>(el, '[part~="charting-button"]')!.click();
    await waitUntil(() => pipRoot(pip.frame()), 'opened');
    pip.close();
    await waitUntil(() => !$(el, '[part~="charting-placeholder"]'), 'back in the page');

    $<HTMLButtonElement>(el, '[part~="charting-button"]')!.click();
    await waitUntil(() => pipRoot(pip.frame()), 'opened again');
    const root = pipRoot(pip.frame())!;
    root.querySelector<HTMLButtonElement>('[part~="leave-button"]')!.click();
    await waitUntil(() => root.querySelector('[part~="leave-confirm"]'), 'asks first');
    assert.strictEqual(session.callsOf('leave').length, 0);
    root.querySelector<HTMLButtonElement>('[part~="leave-confirm-button"]')!.click();
    await waitUntil(() => session.callsOf('leave').length === 1, 'left');
    await waitUntil(() => !el.matches(':state(charting)'), 'the window closes with the call');
  });

  it('should fall back to video Picture-in-Picture of the remote video without Document PiP', async () => {
    const session = inCall('provider');
    const el = await mount(session, {
      documentPictureInPicture: undefined,
      videoPictureInPicture: true,
    });
    const video = remoteTileVideo(el)!;
    let requested = 0;
    // The browser's own video PiP needs a real gesture and a playing video: injected here.
    Object.defineProperty(video, 'requestPictureInPicture', {
      value: async () => void requested++,
    });
    setTimeout(() => $<HTMLButtonElement>(el, '[part~="charting-button"]')!.click());
    const opened = await oneEvent(el, 'consult-charting-change');
    assert.deepEqual(opened.detail, { open: true, mode: 'video' });
    assert.strictEqual(requested, 1, 'the remote video popped out');
    await el.updateComplete;
    assert.isNull($(el, '[part~="charting-placeholder"]'), 'the page keeps the call');
    setTimeout(() => video.dispatchEvent(new Event('leavepictureinpicture')));
    const closed = await oneEvent(el, 'consult-charting-change');
    assert.deepEqual(closed.detail, { open: false, mode: 'video' });
  });

  it('should hide the control where neither exists, and with no-charting', async () => {
    const none = await mount(inCall('provider'), NONE);
    assert.isNull($(none, '[part~="charting-button"]'));
    const off = await mount(inCall('provider'), fakeDocumentPip().support, { noCharting: true });
    assert.isNull($(off, '[part~="charting-button"]'));
    // Video PiP needs someone's video to pop out.
    const alone = new FakeSession({ role: 'provider' }, { createStream });
    alone.simulateConnection('connected');
    const empty = await mount(alone, {
      documentPictureInPicture: undefined,
      videoPictureInPicture: true,
    });
    assert.isNull($(empty, '[part~="charting-button"]'));
  });

  it('should stay in the page when the browser refuses the window', async () => {
    const session = inCall('provider');
    const el = await mount(session, {
      videoPictureInPicture: false,
      documentPictureInPicture: {
        requestWindow: () => Promise.reject(new DOMException('no gesture', 'NotAllowedError')),
      },
    });
    $<HTMLButtonElement>(el, '[part~="charting-button"]')!.click();
    await new Promise((r) => requestAnimationFrame(r));
    await el.updateComplete;
    assert.isNull($(el, '[part~="charting-placeholder"]'));
    assert.isNull($(el, '[part~="error"]'));
  });
});

describe('<consult-room> mute requests', () => {
  it('should show a patient the provider’s request with a one-tap Mute, never muting by itself', async () => {
    const session = inCall('patient');
    const el = await mount(session, NONE);
    session.simulateMuteRequest('con-dr');
    await el.updateComplete;
    const banner = $(el, '[part~="mute-request"]');
    assert.ok(banner);
    assert.include(text(banner), 'The provider asked you to mute.');
    assert.include(announced(el), 'The provider asked you to mute.');
    assert.strictEqual(session.callsOf('setMicrophoneEnabled').length, 0, 'nothing muted yet');
    await expectNoAxeViolations(el);
    $<HTMLButtonElement>(el, '[part~="mute-request-button"]')!.click();
    await waitUntil(() => session.callsOf('setMicrophoneEnabled').length === 1);
    assert.deepEqual(session.callsOf('setMicrophoneEnabled')[0]?.args, [false]);
    await el.updateComplete;
    assert.isNull($(el, '[part~="mute-request"]'));

    // Dismissed, the next request shows again.
    await session.setMicrophoneEnabled(true);
    session.simulateMuteRequest('con-dr');
    await el.updateComplete;
    $<HTMLButtonElement>(el, '[part~="mute-request-dismiss-button"]')!.click();
    await el.updateComplete;
    assert.isNull($(el, '[part~="mute-request"]'));
    assert.isTrue(session.state.localMedia.audioEnabled);
  });

  it('should let a provider ask from the tile menu (keyboard: arrow keys reach the item)', async () => {
    const session = inCall('provider');
    const el = await mount(session, NONE);
    const button = $<HTMLButtonElement>(el, '[part~="tile-menu-button"]')!;
    button.focus();
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => $(el, '[part~="ask-to-mute-button"]'), 'menu open');
    const item = $<HTMLButtonElement>(el, '[part~="ask-to-mute-button"]')!;
    assert.strictEqual(text(item), 'Ask to mute');
    await sendKeys({ press: 'ArrowDown' });
    await waitUntil(() => item.matches(':focus'), 'ArrowDown moves to Ask to mute');
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => session.callsOf('requestMute').length === 1);
    assert.deepEqual(session.callsOf('requestMute')[0]?.args, ['con-pat']);
    await waitUntil(() => announced(el).includes('Asked Pat Doe to mute.'), 'announced');
    assert.isNull($(el, '[part~="tile-menu"]'), 'the menu closed');
    assert.strictEqual(session.callsOf('setMicrophoneEnabled').length, 0);
  });

  it('should show the request in the charting window too', async () => {
    const session = inCall('patient');
    const pip = fakeDocumentPip();
    const el = await mount(session, pip.support);
    $<HTMLButtonElement>(el, '[part~="charting-button"]')!.click();
    await waitUntil(() => pipRoot(pip.frame()), 'opened');
    session.simulateMuteRequest('con-dr');
    await el.updateComplete;
    const root = pipRoot(pip.frame())!;
    await waitUntil(() => root.querySelector('[part~="mute-request-button"]'), 'in the window');
    root.querySelector<HTMLButtonElement>('[part~="mute-request-button"]')!.click();
    await waitUntil(() => session.callsOf('setMicrophoneEnabled').length === 1);
  });
});
