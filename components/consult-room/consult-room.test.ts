import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import '../consult-room.js';
import type { ConsultRoom, ConsultSessionFactoryOptions } from './consult-room.component.js';
import type { ConsultChat } from '../consult-chat/consult-chat.component.js';
import { FakeSession } from '../../src/testing/index.js';
import {
  ConsultError,
  MediaDeviceError,
  type ConnectOptions,
  type SessionState,
} from '../../src/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';
import { createStream, createTestStream } from '../test-utils/fake-streams.js';
import { deepQuery, deepQueryAll } from '../test-utils/deep-query.js';
import { IS_FIREFOX, chromiumOnly } from '../test-utils/browser.js';

const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';

function fake(state: Partial<SessionState> = {}): FakeSession {
  return new FakeSession(state, { createStream });
}

/** A session already in a one-to-one call. */
function inCall(state: Partial<SessionState> = {}): FakeSession {
  const session = fake({ role: 'patient', ...state });
  session.simulateConnection('connected');
  session.simulateParticipantJoined({
    id: 'dr',
    displayName: 'Dr. Chen',
    role: 'provider',
    quality: { level: 'good' },
  });
  return session;
}

async function mount(
  session: FakeSession | undefined,
  attrs: { layout?: string; lang?: string } = {},
): Promise<ConsultRoom> {
  const el = await fixture<ConsultRoom>(
    html`<consult-room
      .session=${session}
      layout=${attrs.layout ?? 'auto'}
      lang=${attrs.lang ?? 'en'}
      style="--consult-room-height: 600px; width: 900px"
    ></consult-room>`,
  );
  await el.updateComplete;
  return el;
}

// The room renders <consult-prejoin> and <consult-tile>, whose parts it exports: queries search
// their shadow roots too.
const $ = <T extends HTMLElement = HTMLElement>(el: ConsultRoom, selector: string): T | null =>
  deepQuery<T>(el.shadowRoot!, selector);
const $$ = (el: ConsultRoom, selector: string): HTMLElement[] =>
  deepQueryAll<HTMLElement>(el.shadowRoot!, selector);
const text = (node: Element | null | undefined): string =>
  (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
const announced = (el: ConsultRoom): string => text($(el, '[part="announcer"]'));
const click = (el: ConsultRoom, selector: string): void => {
  const node = $(el, selector);
  if (!node) throw new Error(`nothing matches ${selector}`);
  node.click();
};
const active = (el: ConsultRoom): Element | null => el.shadowRoot!.activeElement;

describe('<consult-room>', () => {
  describe('pre-join', () => {
    it('should show the preview, the microphone meter and a passing device check', async () => {
      const session = fake();
      const el = await fixture<ConsultRoom>(
        html`<consult-room .session=${session}></consult-room>`,
      );
      const { detail } = await oneEvent(el, 'consult-device-check');
      assert.deepEqual(
        { camera: detail.camera, microphone: detail.microphone },
        { camera: 'ok', microphone: 'ok' },
      );
      await el.updateComplete;
      assert.strictEqual(session.callsOf('startPreview').length, 1);
      const preview = $<HTMLVideoElement>(el, 'video[part="preview"]')!;
      assert.instanceOf(preview.srcObject, MediaStream);
      assert.isTrue(preview.muted);
      assert.strictEqual(
        $(el, 'meter[part="mic-level"]')!.closest('label')!.textContent!.trim(),
        'Microphone level',
      );
      assert.include(text($(el, '[part="device-check"]')), 'Camera works');
      assert.include(text($(el, '[part="device-check"]')), 'Microphone works');
      assert.isTrue(el.hasCustomState('prejoin'));
      await expectNoAxeViolations(el);
    });

    chromiumOnly('web-audio', 'should move the microphone meter with the input level', async () => {
      const el = await mount(fake());
      const meter = $<HTMLMeterElement>(el, 'meter[part="mic-level"]')!;
      await waitUntil(() => meter.value > 0, 'the oscillator reaches the meter');
    });

    it('should explain blocked devices with browser steps and offer to join without media', async () => {
      const session = fake();
      session.failNext(
        'startPreview',
        new MediaDeviceError('permission-denied', 'camera-and-microphone', 'denied'),
      );
      const el = await fixture<ConsultRoom>(
        html`<consult-room .session=${session}></consult-room>`,
      );
      const { detail } = await oneEvent(el, 'consult-device-check');
      assert.strictEqual(detail.camera, 'denied');
      assert.strictEqual(detail.microphone, 'denied');
      assert.strictEqual(detail.permission, 'denied');
      assert.strictEqual(detail.error?.code, 'permission-denied');
      await el.updateComplete;
      const help = $(el, '[part="device-help"]')!;
      assert.include(text(help), 'Your browser is blocking the camera or microphone');
      // Chromium: the Chrome/Edge steps; Firefox: its own.
      assert.include(
        text(help),
        IS_FIREFOX ? 'Clear the Blocked permissions.' : 'Set Camera and Microphone to Allow.',
      );
      assert.strictEqual(help.querySelectorAll('ol li').length, 3);
      assert.isNull($(el, '[part="join-audio-only-button"]'), 'no audio-only without a microphone');
      await expectNoAxeViolations(el);
      click(el, '[part="join-without-media-button"]');
      await waitUntil(() => session.callsOf('connect').length === 1);
      assert.deepEqual(session.callsOf('setCameraEnabled')[0]!.args, [false]);
      assert.deepEqual(session.callsOf('setMicrophoneEnabled')[0]!.args, [false]);
    });

    it('should offer audio-only when only the camera is missing', async () => {
      const session = new FakeSession(
        {},
        { createStream: () => createTestStream({ video: false }) },
      );
      session.simulateState({
        localMedia: {
          ...session.state.localMedia,
          error: new MediaDeviceError('device-not-found', 'camera', 'no camera'),
        },
      });
      const el = await fixture<ConsultRoom>(
        html`<consult-room .session=${session}></consult-room>`,
      );
      const { detail } = await oneEvent(el, 'consult-device-check');
      assert.strictEqual(detail.camera, 'missing');
      assert.strictEqual(detail.microphone, 'ok');
      await el.updateComplete;
      assert.include(text($(el, '[part="device-help"]')), 'No camera or microphone was found');
      assert.include(text($(el, '[part="preview-off"]')), 'Your camera is off');
      click(el, '[part="join-audio-only-button"]');
      await waitUntil(() => session.callsOf('connect').length === 1);
      assert.deepEqual(session.callsOf('setAudioOnly').at(-1)!.args, [true]);
    });

    it('should switch devices from the pickers', async () => {
      const session = fake({
        devices: [
          { deviceId: 'cam1', kind: 'videoinput', label: 'Front camera' },
          { deviceId: 'cam2', kind: 'videoinput', label: 'Back camera' },
          { deviceId: 'mic1', kind: 'audioinput', label: 'Headset' },
          { deviceId: 'spk1', kind: 'audiooutput', label: 'Speakers' },
        ],
      });
      const el = await mount(session);
      const select = $<HTMLSelectElement>(el, 'select[part="camera-select"]')!;
      assert.deepEqual(
        [...select.options].map((o) => o.textContent!.trim()),
        ['Front camera', 'Back camera'],
      );
      assert.isNotNull($(el, 'select[part="speaker-select"]'));
      select.value = 'cam2';
      select.dispatchEvent(new Event('change'));
      await waitUntil(() => session.callsOf('selectDevice').length === 1);
      assert.deepEqual(session.callsOf('selectDevice')[0]!.args, ['videoinput', 'cam2']);
    });

    it('should join, announce it and emit consult-join', async () => {
      const session = fake();
      const el = await mount(session);
      const joined = oneEvent(el, 'consult-join');
      click(el, '[part="join-button"]');
      const { detail } = await joined;
      assert.strictEqual(detail.consultId, 'fake-consult');
      assert.isTrue(detail.participant?.isLocal);
      await el.updateComplete;
      assert.include(announced(el), 'You joined the consultation.');
      assert.isNotNull($(el, '[part="call"]'));
      assert.isTrue(el.hasCustomState('connected'));
    });
  });

  describe('own session', () => {
    it('should build its session through the factory, join with the typed name and dispose it', async () => {
      const built: Array<{ options: ConsultSessionFactoryOptions; session: FakeSession }> = [];
      const factory = (options: ConsultSessionFactoryOptions): FakeSession => {
        const session = fake();
        built.push({ options, session });
        return session;
      };
      const el = await fixture<ConsultRoom>(
        html`<consult-room
          consult-id="c-42"
          token-url="https://portal.test/api"
          display-name="Ann"
          .sessionFactory=${factory}
        ></consult-room>`,
      );
      assert.strictEqual(built.length, 1);
      assert.deepInclude(built[0]!.options, {
        consultId: 'c-42',
        tokenUrl: 'https://portal.test/api',
        displayName: 'Ann',
        video: true,
      });
      const session = built[0]!.session;
      await waitUntil(() => session.callsOf('startPreview').length === 1, 'preview started');
      const input = $<HTMLInputElement>(el, 'input[part="name-input"]')!;
      assert.strictEqual(input.value, 'Ann');
      input.value = ' Ann Lee ';
      input.dispatchEvent(new Event('input'));
      click(el, '[part="join-button"]');
      await waitUntil(() => session.callsOf('connect').length === 1);
      const [options] = session.callsOf('connect')[0]!.args as [ConnectOptions];
      assert.strictEqual(options.displayName, 'Ann Lee', 'the name goes to connect()');
      assert.instanceOf(options.signal, AbortSignal);
      assert.strictEqual(built.length, 1, 'the idle session is not rebuilt for a new name');
      assert.strictEqual(session.callsOf('leave').length, 0);
      assert.strictEqual(session.callsOf('startPreview').length, 1, 'the preview is kept');
      el.remove();
      await waitUntil(() => session.callsOf('leave').length === 1, 'disposed when removed');
    });

    it('should join its own session without a name when the field is empty', async () => {
      const built: FakeSession[] = [];
      const el = await fixture<ConsultRoom>(
        html`<consult-room
          consult-id="c-42"
          token-url="https://portal.test/api"
          .sessionFactory=${() => {
            const session = fake();
            built.push(session);
            return session;
          }}
        ></consult-room>`,
      );
      click(el, '[part="join-button"]');
      await waitUntil(() => built[0]!.callsOf('connect').length === 1);
      const [options] = built[0]!.callsOf('connect')[0]!.args as [ConnectOptions];
      assert.notProperty(options, 'displayName');
    });

    it('should not pass a name to a session it was given', async () => {
      const session = fake();
      const el = await mount(session);
      el.displayName = 'Portal Name';
      await el.updateComplete;
      click(el, '[part="join-button"]');
      await waitUntil(() => session.callsOf('connect').length === 1);
      const [options] = session.callsOf('connect')[0]!.args as [ConnectOptions];
      assert.notProperty(options, 'displayName');
    });

    it('should never dispose a session it was given', async () => {
      const session = inCall();
      const el = await mount(session);
      el.remove();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      await Promise.resolve();
      assert.strictEqual(session.callsOf('leave').length, 0);
      assert.isNull($(el, 'input[part="name-input"]'), 'no name field for a given session');
    });
  });

  describe('waiting room', () => {
    it('should tell the patient they will be let in, with their place in line', async () => {
      const session = fake();
      session.simulateWaiting(2);
      const el = await mount(session);
      const waiting = $(el, '[part="waiting"]')!;
      assert.include(text(waiting), 'The provider will let you in shortly');
      assert.include(text(waiting), 'You are number 2 in line.');
      assert.isTrue(el.hasCustomState('waiting'));
      await expectNoAxeViolations(el);
    });

    it('should show why admission was denied', async () => {
      const session = fake();
      session.simulateWaiting();
      const el = await mount(session);
      session.simulateError(
        new ConsultError('admission-denied', 'denied', {
          details: { reason: 'Please book a new time.' },
        }),
      );
      session.simulateConnection('failed', 'denied');
      await el.updateComplete;
      const denied = $(el, '[part="denied"]')!;
      assert.include(text(denied), 'The provider did not let you in.');
      assert.include(text(denied), 'Reason: Please book a new time.');
      await expectNoAxeViolations(el);
    });

    it('should let a provider admit and deny people waiting', async () => {
      const session = inCall({ role: 'provider' });
      const el = await mount(session);
      session.simulateLobby([
        { userId: 'u1', displayName: 'Pat Doe', role: 'patient', since: new Date().toISOString() },
        { userId: 'u2', displayName: XSS, role: 'guest', since: new Date().toISOString() },
      ]);
      await el.updateComplete;
      const entries = $$(el, '[part="lobby-entry"]');
      assert.strictEqual(entries.length, 2);
      assert.include(announced(el), 'Pat Doe is waiting to join.');
      assert.strictEqual(entries[1]!.querySelector('.name')!.textContent, XSS);
      assert.isNull(deepQuery(el.shadowRoot!, 'img, script'));
      assert.strictEqual(
        entries[0]!.querySelector('[part="admit-button"]')!.getAttribute('aria-label'),
        'Admit Pat Doe',
      );
      await expectNoAxeViolations(el);
      (entries[0]!.querySelector('[part="admit-button"]') as HTMLButtonElement).click();
      await waitUntil(() => session.callsOf('admit').length === 1);
      assert.deepEqual(session.callsOf('admit')[0]!.args, ['u1']);
      await el.updateComplete;
      ($(el, '[part="deny-button"]') as HTMLButtonElement).click();
      await waitUntil(() => session.callsOf('deny').length === 1);
      assert.strictEqual(session.callsOf('deny')[0]!.args[0], 'u2');
    });
  });

  describe('in call', () => {
    it('should show the other person large and yourself small (picture-in-picture)', async () => {
      const el = await mount(inCall());
      assert.strictEqual($(el, '[part="stage"]')!.dataset.layout, 'pip');
      const tiles = $$(el, '[part~="tile"]');
      assert.strictEqual(tiles.length, 2);
      assert.strictEqual(text(deepQuery(tiles[0]!, '[part="name"]')), 'Dr. Chen');
      assert.include(tiles[1]!.getAttribute('part'), 'local');
      assert.isTrue(tiles[1]!.classList.contains('small'));
      assert.strictEqual(text(deepQuery(tiles[1]!, '[part="name"]')), 'You (you)');
      assert.include(text(deepQuery(tiles[0]!, '[part~="quality"]')), 'Good connection');
      await expectNoAxeViolations(el);
    });

    it('should switch to a grid with three people, and follow the layout attribute', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateParticipantJoined({ id: 'p3', displayName: 'Interpreter' });
      await el.updateComplete;
      assert.strictEqual($(el, '[part="stage"]')!.dataset.layout, 'grid');
      const pinned = await mount(inCall(), { layout: 'grid' });
      assert.strictEqual($(pinned, '[part="stage"]')!.dataset.layout, 'grid');
      await expectNoAxeViolations(el);
    });

    it('should show mute, camera-off and speaking in text and parts, not colour alone', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateMuted('dr', 'audio', true);
      session.simulateMuted('dr', 'video', true);
      session.simulateSpeaking('dr', true);
      session.simulateQuality('dr', 'poor');
      await el.updateComplete;
      const tile = $(el, '[part~="tile"][data-id="dr"]')!;
      const parts = tile.getAttribute('part')!.split(' ');
      assert.includeMembers(parts, ['muted', 'camera-off', 'speaking']);
      assert.strictEqual(
        tile.getAttribute('aria-label'),
        'Dr. Chen, microphone off, camera off, speaking',
      );
      assert.strictEqual(text(deepQuery(tile, '[part="avatar"]')), 'DC');
      assert.include(text(deepQuery(tile, '[part~="quality"]')), 'Poor connection');
      assert.include(deepQuery(tile, '[part~="quality"]')!.getAttribute('part'), 'poor');
      await expectNoAxeViolations(el);
    });

    it('should run the call timer from callStartedAt', async () => {
      const session = inCall();
      session.simulateState({ callStartedAt: Date.now() - 65_000 });
      const el = await mount(session);
      const timer = $(el, '[part="timer"]')!;
      assert.strictEqual(timer.getAttribute('role'), 'timer');
      assert.match(text(timer), /^1:0[5-6]$/);
      await waitUntil(() => /^1:0[6-9]$/.test(text($(el, '[part="timer"]'))), 'the timer ticks', {
        timeout: 3000,
      });
    });

    it('should show a reconnecting banner and announce losing and regaining the connection', async () => {
      const session = inCall();
      const el = await mount(session);
      const change = oneEvent(el, 'consult-connection-change');
      session.simulateReconnecting();
      const { detail } = await change;
      assert.deepEqual(detail, {
        connection: 'reconnecting',
        previous: 'connected',
        reason: 'network-lost',
      });
      await el.updateComplete;
      assert.include(text($(el, '[part~="banner"][part~="reconnecting"]')), 'Reconnecting');
      assert.include(announced(el), 'Connection lost. Reconnecting…');
      assert.isTrue(el.hasCustomState('reconnecting'));
      await expectNoAxeViolations(el);
      session.simulateConnection('connected', 'network-recovered');
      await el.updateComplete;
      assert.isNull($(el, '[part~="reconnecting"]'));
      assert.include(announced(el), 'Reconnected.');
    });

    it('should offer audio-only while the connection stays poor', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateQuality('local', 'poor', { suggestAudioOnly: true });
      await el.updateComplete;
      assert.include(text($(el, '[part~="poor-connection"]')), 'Your connection is poor');
      await expectNoAxeViolations(el);
      click(el, '[part="audio-only-button"]');
      await waitUntil(() => session.callsOf('setAudioOnly').length === 1);
      await el.updateComplete;
      assert.isNull($(el, '[part~="poor-connection"]'));
    });

    it('should offer "tap to enable sound" when the browser blocks autoplay', async () => {
      const original = HTMLMediaElement.prototype.play;
      let blocked = true;
      HTMLMediaElement.prototype.play = function play(this: HTMLMediaElement) {
        return blocked
          ? Promise.reject(new DOMException('blocked', 'NotAllowedError'))
          : original.call(this);
      };
      try {
        const el = await mount(inCall());
        await waitUntil(() => $(el, '[part~="autoplay"]') !== null);
        assert.include(text($(el, '[part~="autoplay"]')), 'Sound is paused by your browser.');
        await expectNoAxeViolations(el);
        blocked = false;
        click(el, '[part="enable-sound-button"]');
        await waitUntil(() => $(el, '[part~="autoplay"]') === null);
      } finally {
        HTMLMediaElement.prototype.play = original;
      }
    });

    it('should announce and emit participants joining and leaving', async () => {
      const session = inCall();
      const el = await mount(session);
      const joined = oneEvent(el, 'consult-participant-join');
      session.simulateParticipantJoined({ id: 'p3', displayName: 'Nurse Kim' });
      assert.strictEqual((await joined).detail.participant.displayName, 'Nurse Kim');
      await el.updateComplete;
      assert.include(announced(el), 'Nurse Kim joined.');
      const left = oneEvent(el, 'consult-participant-leave');
      session.simulateParticipantLeft('p3', 'disconnect');
      assert.strictEqual((await left).detail.reason, 'disconnect');
      await el.updateComplete;
      assert.include(announced(el), 'Nurse Kim left.');
    });

    it('should not re-render the tiles or the controls for a chat message or a quality sample', async () => {
      const session = inCall();
      const el = await mount(session);
      click(el, '[part~="chat-button"]');
      await el.updateComplete;
      const renders = { room: 0, tiles: 0 };
      const count = (target: { render(): unknown }, key: keyof typeof renders): void => {
        const render = target.render.bind(target);
        target.render = () => {
          renders[key]++;
          return render();
        };
      };
      count(el, 'room');
      for (const tile of $$(el, 'consult-tile')) count(tile as never, 'tiles');
      session.simulateMessage({ text: 'hello' });
      session.simulateQuality('dr', { level: 'good', roundTripMs: 90 });
      await el.updateComplete;
      await new Promise((resolve) => requestAnimationFrame(resolve));
      assert.deepEqual(renders, { room: 0, tiles: 0 });
      session.simulateQuality('dr', 'poor');
      await el.updateComplete;
      assert.deepEqual(renders, { room: 0, tiles: 1 }, 'a new level re-renders that tile only');
    });

    it('should render names as text, never markup', async () => {
      const session = fake();
      session.simulateConnection('connected');
      session.simulateParticipantJoined({ id: 'x', displayName: XSS });
      const el = await mount(session);
      const tile = $(el, '[part~="tile"][data-id="x"]')!;
      assert.strictEqual(deepQuery(tile, '[part="name"]')!.textContent, XSS);
      assert.isNull(deepQuery(el.shadowRoot!, 'img, script'));
      assert.isUndefined((window as unknown as { __xss?: number }).__xss);
    });
  });

  describe('controls', () => {
    it('should toggle the microphone and camera with aria-pressed', async () => {
      const session = inCall();
      const el = await mount(session);
      const mic = $(el, '[part~="mic-button"]')!;
      assert.strictEqual(mic.getAttribute('aria-pressed'), 'true');
      assert.strictEqual(text(mic), 'Microphone');
      mic.click();
      await waitUntil(
        () => $(el, '[part~="mic-button"]')!.getAttribute('aria-pressed') === 'false',
      );
      assert.deepEqual(session.callsOf('setMicrophoneEnabled')[0]!.args, [false]);
      click(el, '[part~="camera-button"]');
      await waitUntil(
        () => $(el, '[part~="camera-button"]')!.getAttribute('aria-pressed') === 'false',
      );
      assert.include($(el, '[part~="tile"][part~="local"]')!.getAttribute('part'), 'camera-off');
      await expectNoAxeViolations(el);
    });

    it('should share the screen, and hide the button where it is unsupported', async () => {
      const session = inCall();
      const el = await mount(session);
      click(el, '[part~="screen-button"]');
      await waitUntil(
        () => $(el, '[part~="screen-button"]')!.getAttribute('aria-pressed') === 'true',
      );
      assert.strictEqual(session.callsOf('startScreenShare').length, 1);
      session.simulateState({ localMedia: { ...session.state.localMedia, canScreenShare: false } });
      await el.updateComplete;
      assert.isNull($(el, '[part~="screen-button"]'));
      const hidden = await fixture<ConsultRoom>(
        html`<consult-room no-screen-share no-chat .session=${inCall()}></consult-room>`,
      );
      assert.isNull($(hidden, '[part~="screen-button"]'));
      assert.isNull($(hidden, '[part~="chat-button"]'));
    });

    it('should show unread chat messages on the chat button and announce them while closed', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateMessage({ text: 'Hello', senderId: 'dr' });
      session.simulateMessage({ text: 'Can you hear me?', senderId: 'dr' });
      await el.updateComplete;
      const button = $(el, '[part~="chat-button"]')!;
      assert.strictEqual(text(button.querySelector('[part="unread-badge"]')), '2');
      assert.include(text(button), '2 unread');
      assert.strictEqual(button.getAttribute('aria-pressed'), 'false');
      assert.include(announced(el), 'New message from Dr. Chen.');
      await expectNoAxeViolations(el);
    });

    it('should open the chat panel, read the messages, focus the composer and return focus on close', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateMessage({ text: 'Hello', senderId: 'dr' });
      await el.updateComplete;
      const unread = oneEvent(el, 'consult-unread-change');
      click(el, '[part~="chat-button"]');
      assert.strictEqual((await unread).detail.unread, 0);
      await el.updateComplete;
      const chat = $<ConsultChat>(el, 'consult-chat')!;
      assert.isFalse($(el, '[part="chat-panel"]')!.hidden);
      assert.strictEqual($(el, '[part~="chat-button"]')!.getAttribute('aria-pressed'), 'true');
      await waitUntil(() => chat.shadowRoot!.activeElement?.tagName === 'TEXTAREA');
      await expectNoAxeViolations(el);
      (chat.querySelector('.chat-header button') as HTMLButtonElement).click();
      await waitUntil(() => active(el) === $(el, '[part~="chat-button"]'));
      assert.isTrue($(el, '[part="chat-panel"]')!.hidden);
    });

    it('should let a provider record, with an indicator and announcements for everyone', async () => {
      const session = inCall({ role: 'provider' });
      const el = await mount(session);
      const change = oneEvent(el, 'consult-recording-change');
      click(el, '[part~="record-button"]');
      assert.strictEqual((await change).detail.recording.status, 'recording');
      await el.updateComplete;
      assert.strictEqual(text($(el, '[part="recording-indicator"]')), 'Recording');
      assert.include(announced(el), 'Recording started.');
      assert.strictEqual($(el, '[part~="record-button"]')!.getAttribute('aria-pressed'), 'true');
      assert.isTrue(el.hasCustomState('recording'));
      await expectNoAxeViolations(el);
      click(el, '[part~="record-button"]');
      await waitUntil(() => session.callsOf('stopRecording').length === 1);
      await el.updateComplete;
      assert.include(announced(el), 'Recording stopped.');
      const patient = await mount(inCall());
      assert.isNull($(patient, '[part~="record-button"]'));
    });

    it('should ask for recording consent in a modal dialog', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateConsentRequest();
      await el.updateComplete;
      const dialog = $<HTMLDialogElement>(el, 'dialog[part~="consent-dialog"]')!;
      assert.isTrue(dialog.open);
      assert.isTrue(dialog.matches(':modal'));
      assert.isTrue(dialog.contains(active(el)), 'focus moves into the dialog');
      assert.include(text(dialog), 'May this consultation be recorded?');
      await expectNoAxeViolations(el);
      (dialog.querySelector('button:not(.primary)') as HTMLButtonElement).click();
      await waitUntil(() => !dialog.open, '"Do not record" answers no');
      assert.deepEqual(session.callsOf('setRecordingConsent')[0]!.args, [false]);
      session.simulateConsentRequest();
      await el.updateComplete;
      assert.isTrue(dialog.open, 'a new request opens the dialog again');
      (dialog.querySelector('button.primary') as HTMLButtonElement).click();
      await waitUntil(() => !dialog.open);
      assert.deepEqual(session.callsOf('setRecordingConsent')[1]!.args, [true]);
    });

    it('should treat Escape on the consent dialog as "not now" and reopen it from the top bar', async () => {
      const session = inCall();
      const el = await mount(session);
      session.simulateConsentRequest();
      await el.updateComplete;
      const dialog = $<HTMLDialogElement>(el, 'dialog[part~="consent-dialog"]')!;
      assert.isTrue(dialog.open);
      assert.isNull($(el, '[part="consent-button"]'), 'no reopen button while the dialog is open');
      await sendKeys({ press: 'Escape' });
      await waitUntil(() => !dialog.open, 'Escape closes the dialog');
      await el.updateComplete;
      assert.lengthOf(session.callsOf('setRecordingConsent'), 0, 'Escape is not an answer');
      assert.isTrue(session.state.recording.consentPending, 'consent stays pending');
      const reopen = $<HTMLButtonElement>(el, '[part="consent-button"]')!;
      assert.exists(reopen, 'the top bar offers to answer');
      assert.strictEqual(text(reopen), 'Answer the recording request');
      assert.strictEqual(reopen.getAttribute('aria-haspopup'), 'dialog');
      // Other state changes do not bring the dialog back by themselves.
      session.simulateParticipantJoined({ id: 'nurse', displayName: 'Nurse Kim' });
      await el.updateComplete;
      assert.isFalse(dialog.open, 'still put off');
      await expectNoAxeViolations(el);

      reopen.click();
      await el.updateComplete;
      assert.isTrue(dialog.open, 'the button reopens the prompt');
      assert.isTrue(dialog.contains(active(el)), 'focus moves into the dialog');
      (dialog.querySelector('button:not(.primary)') as HTMLButtonElement).click();
      await waitUntil(() => !dialog.open);
      assert.deepEqual(session.callsOf('setRecordingConsent')[0]!.args, [false]);
      await el.updateComplete;
      assert.isNull($(el, '[part="consent-button"]'), 'answered: the button is gone');

      session.simulateConsentRequest();
      await el.updateComplete;
      assert.isTrue(dialog.open, 'the next request opens the dialog at once');
    });

    it('should open settings in a dialog and give focus back on Escape', async () => {
      const session = inCall({
        devices: [{ deviceId: 'mic1', kind: 'audioinput', label: 'Headset' }],
      });
      const el = await mount(session);
      const opener = $(el, '[part~="settings-button"]')!;
      opener.focus();
      opener.click();
      await el.updateComplete;
      const dialog = $<HTMLDialogElement>(el, 'dialog[part~="settings-dialog"]')!;
      assert.isTrue(dialog.open);
      assert.isTrue(dialog.contains(active(el)));
      assert.isNotNull(dialog.querySelector('select[part="microphone-select"]'));
      await expectNoAxeViolations(el);
      await sendKeys({ press: 'Escape' });
      await waitUntil(() => !dialog.open && active(el) === opener);
    });
  });

  describe('leaving and the end', () => {
    it('should let the portal veto leaving through consult-request-leave', async () => {
      const session = inCall();
      const el = await mount(session);
      el.addEventListener('consult-request-leave', (e) => e.preventDefault(), { once: true });
      click(el, '[part~="leave-button"]');
      await el.updateComplete;
      assert.isFalse($<HTMLDialogElement>(el, 'dialog[part~="leave-dialog"]')!.open);
      assert.strictEqual(session.callsOf('leave').length, 0);
    });

    it('should confirm before leaving; Stay keeps the call and returns focus', async () => {
      const session = inCall();
      const el = await mount(session);
      const leaveButton = $(el, '[part~="leave-button"]')!;
      leaveButton.focus();
      const request = oneEvent(el, 'consult-request-leave');
      leaveButton.click();
      assert.isTrue((await request).cancelable);
      await el.updateComplete;
      const dialog = $<HTMLDialogElement>(el, 'dialog[part~="leave-dialog"]')!;
      assert.isTrue(dialog.open);
      assert.strictEqual(text(active(el)), 'Stay');
      await expectNoAxeViolations(el);
      (active(el) as HTMLButtonElement).click();
      await waitUntil(() => !dialog.open && active(el) === leaveButton);
      assert.strictEqual(session.callsOf('leave').length, 0);
    });

    it('should leave, emit consult-leave with the duration and show the end screen', async () => {
      const session = inCall();
      session.simulateState({ callStartedAt: Date.now() - 125_000 });
      const el = await mount(session);
      click(el, '[part~="leave-button"]');
      await el.updateComplete;
      const left = oneEvent(el, 'consult-leave');
      ($(el, 'dialog[part~="leave-dialog"] button.danger') as HTMLButtonElement).click();
      const { detail } = await left;
      assert.strictEqual(detail.reason, 'left');
      assert.approximately(detail.duration ?? 0, 125, 2);
      await el.updateComplete;
      const ended = $(el, '[part="ended"]')!;
      assert.include(text(ended), 'The consultation has ended');
      assert.match(text($(el, '[part="duration"]')), /^Duration: 2:0[5-7]$/);
      assert.include(announced(el), 'You left the consultation.');
      assert.isTrue(el.hasCustomState('ended'));
      await expectNoAxeViolations(el);
    });

    it('should offer the recording for download when it is ready and allowed', async () => {
      const session = inCall({ role: 'provider' });
      const el = await mount(session);
      session.simulateConnection('disconnected', 'session-closed');
      session.simulateRecording('processing');
      await el.updateComplete;
      assert.include(text($(el, '[part="ended"]')), 'The recording is being prepared…');
      session.simulateRecording('ready');
      await el.updateComplete;
      assert.isNotNull($(el, '[part="download-button"]'));
      await expectNoAxeViolations(el);
      // Capture the download link instead of letting the test page navigate.
      const originalClick = HTMLAnchorElement.prototype.click;
      const links: HTMLAnchorElement[] = [];
      HTMLAnchorElement.prototype.click = function capture(this: HTMLAnchorElement) {
        links.push(this);
      };
      try {
        click(el, '[part="download-button"]');
        await waitUntil(() => links.length === 1);
      } finally {
        HTMLAnchorElement.prototype.click = originalClick;
      }
      assert.strictEqual(links[0]!.download, 'consult-fake-consult.mp4');
      assert.strictEqual(session.callsOf('downloadRecording').length, 1);
    });

    it('should show a failed connection with the reason and let the user try again', async () => {
      const session = fake();
      session.failNext('connect', 'network-error');
      const el = await mount(session);
      const error = oneEvent(el, 'consult-error');
      click(el, '[part="join-button"]');
      assert.strictEqual((await error).detail.error.code, 'network-error');
      await el.updateComplete;
      assert.strictEqual($(el, '[part="error"]')!.getAttribute('role'), 'alert');
      assert.include(text($(el, '[part="error"]')), 'You seem to be offline.');
      assert.isTrue(el.hasCustomState('error'));
      await expectNoAxeViolations(el);
    });

    it('should show and emit an error when a control fails', async () => {
      const session = inCall();
      session.failNext('setMicrophoneEnabled', 'device-in-use');
      const el = await mount(session);
      const error = oneEvent(el, 'consult-error');
      click(el, '[part~="mic-button"]');
      assert.strictEqual((await error).detail.error.code, 'device-in-use');
      await el.updateComplete;
      assert.include(text($(el, '[part="error"]')), 'used by another app');
    });
  });

  describe('languages', () => {
    it('should speak German from the lang attribute', async () => {
      const el = await mount(inCall(), { lang: 'de' });
      await waitUntil(() => text($(el, '[part~="leave-button"]')) === 'Verlassen');
      assert.strictEqual(
        $(el, '[part="controls"]')!.getAttribute('aria-label'),
        'Gesprächssteuerung',
      );
    });

    it('should inherit the closest [lang] and lay out right-to-left for Arabic', async () => {
      const wrapper = await fixture<HTMLDivElement>(
        html`<div lang="ar"><consult-room .session=${inCall()}></consult-room></div>`,
      );
      const el = wrapper.querySelector('consult-room')!;
      await waitUntil(() => text($(el, '[part~="leave-button"]')) === 'مغادرة');
      assert.strictEqual($(el, '.base')!.getAttribute('dir'), 'rtl');
      await expectNoAxeViolations(el);
    });

    it('should fall back from a regional tag to the bundled language, and take overrides', async () => {
      const el = await fixture<ConsultRoom>(
        html`<consult-room
          lang="pt-PT"
          .session=${inCall()}
          .strings=${{ 'controls.leave': 'End visit' }}
        ></consult-room>`,
      );
      await waitUntil(() => text($(el, '[part~="mic-button"]')) === 'Microfone');
      assert.strictEqual(text($(el, '[part~="leave-button"]')), 'End visit');
    });
  });
  describe('themes', () => {
    afterEach(async () => {
      if (!IS_FIREFOX) await emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
    });

    chromiumOnly(
      'emulate-media',
      'should stay accessible in dark mode and stop animating for reduced motion',
      async () => {
        await emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
        const call = await mount(inCall({ role: 'provider' }));
        assert.strictEqual(getComputedStyle($(call, '.base')!).colorScheme, 'light dark');
        assert.strictEqual(getComputedStyle($(call, '.base')!).backgroundColor, 'rgb(15, 17, 20)');
        await expectNoAxeViolations(call);
        const session = fake();
        session.simulateConnection('connecting', 'join-requested');
        const connecting = await mount(session);
        assert.strictEqual(getComputedStyle($(connecting, '.spinner')!).animationName, 'none');
        await expectNoAxeViolations(connecting);
      },
    );

    it('should take token overrides and ::part styling from the page', async () => {
      const el = await fixture<ConsultRoom>(
        html`<div>
          <style>
            .themed {
              --consult-color-danger: rgb(1, 2, 3);
            }
            .themed::part(timer) {
              font-weight: 900;
            }
          </style>
          <consult-room
            class="themed"
            .session=${inCall({ callStartedAt: Date.now() })}
          ></consult-room>
        </div>`,
      );
      const room = el.querySelector('consult-room')!;
      await room.updateComplete;
      assert.strictEqual(
        getComputedStyle($(room, '[part~="leave-button"]')!).backgroundColor,
        'rgb(1, 2, 3)',
      );
      assert.strictEqual(getComputedStyle($(room, '[part="timer"]')!).fontWeight, '900');
    });

    it('should let the page style the parts of its pre-join screen and tiles by their room names', async () => {
      const el = await fixture<HTMLElement>(
        html`<div>
          <style>
            .themed::part(join-button) {
              outline: 3px solid rgb(4, 5, 6);
            }
            .themed::part(name) {
              color: rgb(7, 8, 9);
            }
            .themed::part(tile) {
              border: 2px solid rgb(10, 11, 12);
            }
          </style>
          <consult-room class="themed" id="prejoin" .session=${fake()}></consult-room>
          <consult-room class="themed" id="call" .session=${inCall()}></consult-room>
        </div>`,
      );
      const prejoin = el.querySelector<ConsultRoom>('#prejoin')!;
      const call = el.querySelector<ConsultRoom>('#call')!;
      await prejoin.updateComplete;
      await call.updateComplete;
      assert.strictEqual(
        getComputedStyle($(prejoin, '[part="join-button"]')!).outlineColor,
        'rgb(4, 5, 6)',
      );
      assert.strictEqual(getComputedStyle($(call, '[part="name"]')!).color, 'rgb(7, 8, 9)');
      assert.strictEqual(
        getComputedStyle($(call, '[part~="tile"]')!).borderTopColor,
        'rgb(10, 11, 12)',
      );
    });
  });
});
