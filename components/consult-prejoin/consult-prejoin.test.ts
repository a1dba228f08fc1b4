import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../consult-prejoin.js';
import type { ConsultPrejoin } from './consult-prejoin.component.js';
import { FakeSession } from '../../src/testing/index.js';
import type { ConnectOptions } from '../../src/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';
import { createStream } from '../test-utils/fake-streams.js';
import { IS_FIREFOX } from '../test-utils/browser.js';

const $ = <T extends HTMLElement = HTMLElement>(el: ConsultPrejoin, selector: string): T | null =>
  el.shadowRoot!.querySelector<T>(selector);

describe('<consult-prejoin> on its own', () => {
  it('should run the device check of the session it is given, with preview, meter and pickers', async () => {
    const session = new FakeSession(
      { devices: [{ deviceId: 'cam1', kind: 'videoinput', label: 'Front camera' }] },
      { createStream },
    );
    const el = await fixture<ConsultPrejoin>(
      html`<consult-prejoin .session=${session} no-join no-name></consult-prejoin>`,
    );
    const { detail } = await oneEvent(el, 'consult-device-check');
    assert.deepEqual([detail.camera, detail.microphone], ['ok', 'ok']);
    await el.updateComplete;
    assert.strictEqual(session.callsOf('startPreview').length, 1);
    assert.instanceOf($<HTMLVideoElement>(el, 'video[part="preview"]')!.srcObject, MediaStream);
    assert.isNotNull($(el, 'select[part="camera-select"]'));
    assert.include($(el, '[part="device-check"]')!.textContent, 'Camera works');
    assert.isNull($(el, '[part="join-button"]'), 'no-join hides the join buttons');
    assert.isNull($(el, '[part="name-input"]'), 'no-name hides the name field');
    const meter = $<HTMLMeterElement>(el, 'meter[part="mic-level"]')!;
    // Headless Firefox has no audio device here: Web Audio never runs (test-utils/browser.ts).
    if (!IS_FIREFOX) await waitUntil(() => meter.value > 0, 'the meter follows the microphone');
    await expectNoAxeViolations(el);
    el.remove();
    assert.strictEqual(session.callsOf('leave').length, 0, 'it never disposes the session');
  });

  it('should join the session itself with the typed name when used alone', async () => {
    const session = new FakeSession({}, { createStream });
    const el = await fixture<ConsultPrejoin>(
      html`<consult-prejoin .session=${session} display-name="Pat"></consult-prejoin>`,
    );
    await oneEvent(el, 'consult-device-check');
    const input = $<HTMLInputElement>(el, 'input[part="name-input"]')!;
    assert.strictEqual(input.value, 'Pat');
    input.value = ' Pat Doe ';
    input.dispatchEvent(new Event('input'));
    $(el, '[part="join-button"]')!.click();
    await waitUntil(() => session.callsOf('connect').length === 1);
    const [options] = session.callsOf('connect')[0]!.args as [ConnectOptions];
    assert.strictEqual(options.displayName, 'Pat Doe');
  });

  it('should show and emit a join failure', async () => {
    const session = new FakeSession({}, { createStream });
    session.failNext('connect', 'connection-failed');
    const el = await fixture<ConsultPrejoin>(
      html`<consult-prejoin .session=${session} no-name></consult-prejoin>`,
    );
    await oneEvent(el, 'consult-device-check');
    const failed = oneEvent(el, 'consult-error');
    $(el, '[part="join-button"]')!.click();
    const { detail } = await failed;
    assert.strictEqual(detail.error.code, 'connection-failed');
    await el.updateComplete;
    assert.strictEqual($(el, '[part="error"]')!.getAttribute('role'), 'alert');
  });
});
