import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { LitElement, type TemplateResult } from 'lit';
import { AnnouncerController } from './announcer-controller.js';
import { CallClockController } from './call-clock-controller.js';
import { MediaPlaybackController } from './media-playback-controller.js';
import { ModalDialogController } from './modal-dialog-controller.js';
import { SessionActionsController } from './session-actions-controller.js';
import { FakeSession } from '../../src/testing/index.js';
import { createStream, createTestStream } from '../test-utils/fake-streams.js';

/** A bare host for one controller; `view` is what it renders. */
class TestHost extends LitElement {
  view: () => TemplateResult = () => html``;
  override render(): TemplateResult {
    return this.view();
  }
}
customElements.define('controllers-test-host', TestHost);

async function host(): Promise<TestHost> {
  return fixture<TestHost>(html`<controllers-test-host></controllers-test-host>`);
}

describe('room controllers', () => {
  it('AnnouncerController should keep the last five announcements as new nodes', async () => {
    const el = await host();
    const announcer = new AnnouncerController(el);
    el.view = () => announcer.render();
    for (let i = 1; i <= 7; i++) announcer.announce(`message ${i}`);
    await el.updateComplete;
    const region = el.shadowRoot!.querySelector('[part="announcer"]')!;
    assert.strictEqual(region.getAttribute('role'), 'status');
    assert.deepEqual(
      [...region.querySelectorAll('p')].map((p) => p.textContent),
      ['message 3', 'message 4', 'message 5', 'message 6', 'message 7'],
    );
  });

  it('CallClockController should tick only while a call has started, and stop when detached', async () => {
    const el = await host();
    const call: { startedAt?: number } = {};
    const clock = new CallClockController(el, () => call.startedAt, 20);
    let updates = 0;
    el.addController({ hostUpdate: () => updates++ });
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.strictEqual(updates, 0, 'idle before the call');
    assert.isUndefined(clock.elapsedSeconds);
    call.startedAt = Date.now() - 5000;
    await waitUntil(() => updates >= 2, 'ticks during the call');
    assert.isAtLeast(clock.elapsedSeconds!, 5);
    el.remove();
    const after = updates;
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.strictEqual(updates, after, 'no tick once detached');
  });

  it('MediaPlaybackController should report blocked autoplay and resume from a gesture', async () => {
    const original = HTMLMediaElement.prototype.play;
    let blocked = true;
    HTMLMediaElement.prototype.play = function play(this: HTMLMediaElement) {
      return blocked
        ? Promise.reject(new DOMException('blocked', 'NotAllowedError'))
        : original.call(this);
    };
    try {
      const el = await host();
      const playback = new MediaPlaybackController(el, () => undefined);
      const stream = createTestStream();
      el.view = () => html`<video .srcObject=${stream}></video>`;
      el.requestUpdate();
      await el.updateComplete;
      playback.sync(el.renderRoot);
      await waitUntil(() => playback.blocked);
      blocked = false;
      await playback.resume();
      assert.isFalse(playback.blocked);
    } finally {
      HTMLMediaElement.prototype.play = original;
    }
  });

  it('ModalDialogController should open a dialog modally and give focus back to its opener', async () => {
    const el = await host();
    const dialogs = new ModalDialogController(el, () => el.renderRoot as ShadowRoot);
    el.view = () =>
      html`<button id="opener">open</button>
        <dialog class="settings" @close=${() => dialogs.restoreFocus()}>
          <button autofocus>close</button>
        </dialog>`;
    el.requestUpdate();
    await el.updateComplete;
    const opener = el.shadowRoot!.querySelector<HTMLButtonElement>('#opener')!;
    const dialog = el.shadowRoot!.querySelector('dialog')!;
    opener.focus();
    dialogs.sync('settings', true);
    assert.isTrue(dialog.open);
    assert.isTrue(dialog.matches(':modal'));
    dialogs.sync('settings', false);
    await waitUntil(() => el.shadowRoot!.activeElement === opener, 'focus returns to the opener');
  });

  it('SessionActionsController should turn a failure into error state and consult-error', async () => {
    const el = await host();
    const session = new FakeSession({}, { createStream });
    const actions = new SessionActionsController(el, () => session);
    session.failNext('setMicrophoneEnabled', 'device-in-use');
    const failed = oneEvent(el, 'consult-error');
    await actions.act((s) => s.setMicrophoneEnabled(true));
    assert.strictEqual((await failed).detail.error.code, 'device-in-use');
    assert.strictEqual(actions.error?.code, 'device-in-use');
    session.failNext('connect', 'aborted');
    await actions.join('normal', { audioOnly: false, displayName: '' });
    assert.isUndefined(actions.error, 'an abort is not a failure (and a join clears the last one)');
    assert.isFalse(actions.joining);
  });
});
