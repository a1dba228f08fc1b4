import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../consult-precheck.js';
import type { ConsultPrecheck } from './consult-precheck.component.js';
import { FakePrecheckClient } from '../../src/testing/index.js';
import type { FakePrecheckOptions } from '../../src/testing/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';
import { chromiumOnly } from '../test-utils/browser.js';
import { createTestStream } from '../test-utils/fake-streams.js';

const $ = <T extends HTMLElement = HTMLElement>(el: ConsultPrecheck, selector: string): T | null =>
  el.shadowRoot!.querySelector<T>(selector);

function client(options: FakePrecheckOptions = {}): FakePrecheckClient {
  return new FakePrecheckClient(() => {
    const stream = createTestStream();
    return {
      cameraTrack: stream.getVideoTracks()[0]!,
      microphoneTrack: stream.getAudioTracks()[0]!,
      ...options,
    };
  });
}

async function click(el: ConsultPrecheck, part: string): Promise<void> {
  await waitUntil(() => $(el, `[part~="${part}"]`), `${part} is shown`);
  $(el, `[part~="${part}"]`)!.click();
  await el.updateComplete;
}

/** Starts, walks camera → microphone → speaker (answered), and returns the element. */
async function walk(fake: FakePrecheckClient, answer: 'heard-button' | 'not-heard-button') {
  const el = await fixture<ConsultPrecheck>(
    html`<consult-precheck .client=${fake}></consult-precheck>`,
  );
  await click(el, 'start-button');
  await waitUntil(() => fake.last, 'the test started');
  fake.last!.simulateDevices();
  await click(el, 'next-button');
  await click(el, 'next-button');
  await click(el, answer);
  return el;
}

describe('<consult-precheck>', () => {
  describe('steps', () => {
    it('should show the camera preview, then the microphone step with its meter', async () => {
      const fake = client();
      const el = await fixture<ConsultPrecheck>(
        html`<consult-precheck .client=${fake}></consult-precheck>`,
      );
      await expectNoAxeViolations(el);
      await click(el, 'start-button');
      assert.deepEqual(fake.calls[0], { durationMs: 5000, keepMedia: true });
      fake.last!.simulateDevices();
      await el.updateComplete;
      const video = $<HTMLVideoElement>(el, 'video[part="preview"]')!;
      assert.instanceOf(video.srcObject, MediaStream);
      assert.strictEqual($(el, '[part~="current"]')!.textContent!.trim(), 'Camera');
      await expectNoAxeViolations(el);
      await click(el, 'next-button');
      const meter = $<HTMLMeterElement>(el, 'meter[part="mic-level"]');
      assert.ok(meter, 'the microphone step shows the level meter');
      await expectNoAxeViolations(el);
    });

    chromiumOnly('web-audio', 'should move the microphone meter with the test track', async () => {
      const fake = client();
      const el = await fixture<ConsultPrecheck>(
        html`<consult-precheck .client=${fake}></consult-precheck>`,
      );
      await click(el, 'start-button');
      fake.last!.simulateDevices();
      await el.updateComplete;
      await click(el, 'next-button');
      const meter = $<HTMLMeterElement>(el, 'meter[part="mic-level"]')!;
      await waitUntil(() => meter.value > 0, 'the meter follows the microphone');
    });

    it('should explain a denied camera in plain words on the camera step', async () => {
      const fake = client({ outcome: 'camera-denied' });
      const el = await fixture<ConsultPrecheck>(
        html`<consult-precheck .client=${fake}></consult-precheck>`,
      );
      await click(el, 'start-button');
      fake.last!.simulateDevices();
      await el.updateComplete;
      assert.isNull($(el, 'video[part="preview"]'));
      assert.include($(el, '[part="preview-off"]')!.textContent, 'blocked the camera');
    });
  });

  describe('events', () => {
    it('should dispatch consult-precheck-result with the speaker answer once the network is measured', async () => {
      const fake = client({ outcome: 'good' });
      const el = await walk(fake, 'heard-button');
      assert.isNotNull($(el, 'progress[part="progress"]'), 'the network step waits');
      const event = oneEvent(el, 'consult-precheck-result');
      fake.last!.simulateResult();
      const { detail } = await event;
      assert.strictEqual(detail.result.verdict, 'good');
      assert.strictEqual(detail.result.speaker, 'heard');
      assert.strictEqual(detail.result.network.roundTripMs, 24);
      await el.updateComplete;
      assert.include($(el, '[part~="verdict"]')!.textContent, 'You are ready');
      assert.isTrue(fake.last!.disposed, 'the camera and microphone are released at the verdict');
      assert.isTrue(el.matches(':state(good)'));
      assert.isTrue(el.matches(':state(done)'));
      await expectNoAxeViolations(el);
    });

    it('should grade a speaker the user did not hear as fair, with advice', async () => {
      const fake = client({ outcome: 'good' });
      const el = await walk(fake, 'not-heard-button');
      fake.last!.simulateResult();
      const { detail } = await oneEvent(el, 'consult-precheck-result');
      assert.strictEqual(detail.result.verdict, 'fair');
      assert.deepEqual(detail.result.advice, ['speaker']);
      assert.include($(el, '[part="advice"]')!.textContent, 'Turn up the volume');
    });

    it('should show a poor network with its advice and numbers', async () => {
      const fake = client({ outcome: 'poor' });
      const el = await fixture<ConsultPrecheck>(
        html`<consult-precheck .client=${fake}></consult-precheck>`,
      );
      await click(el, 'start-button');
      fake.last!.simulateResult();
      await click(el, 'next-button');
      await click(el, 'next-button');
      await click(el, 'heard-button');
      await waitUntil(() => $(el, '[part~="verdict"]'), 'the verdict is shown');
      assert.isTrue(el.matches(':state(poor)'));
      const text = $(el, '[part="advice"]')!.textContent!;
      assert.include(text, 'slow to respond');
      assert.include($(el, '[part="details"]')!.textContent, '640 ms');
      await expectNoAxeViolations(el);
    });

    it('should dispatch consult-error and offer a retry when the test cannot run', async () => {
      const el = await fixture<ConsultPrecheck>(html`<consult-precheck></consult-precheck>`);
      const event = oneEvent(el, 'consult-error');
      await click(el, 'start-button');
      const { detail } = await event;
      assert.strictEqual(detail.error.code, 'invalid-state');
      await el.updateComplete;
      assert.isTrue(el.matches(':state(error)'));
      assert.isNotNull($(el, '[part="retry-button"]'));
    });
  });

  describe('accessibility', () => {
    it('should translate into Arabic, right to left', async () => {
      const fake = client({ outcome: 'media-server-unreachable' });
      const el = await fixture<ConsultPrecheck>(
        html`<consult-precheck lang="ar" .client=${fake}></consult-precheck>`,
      );
      await waitUntil(() => $(el, '.title')!.textContent!.includes('اختبر'), 'Arabic loads');
      assert.strictEqual($(el, '[part="base"]')!.getAttribute('dir'), 'rtl');
      await click(el, 'start-button');
      fake.last!.simulateResult();
      await click(el, 'next-button');
      await click(el, 'next-button');
      await click(el, 'heard-button');
      await waitUntil(() => $(el, '[part="advice"]'), 'the advice is shown');
      assert.include($(el, '[part="advice"]')!.textContent, 'خدمة الفيديو');
      await expectNoAxeViolations(el);
    });
  });
});
