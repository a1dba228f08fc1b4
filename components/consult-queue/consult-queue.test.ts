import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../consult-queue.js';
import type { ConsultQueue } from './consult-queue.component.js';
import { FakeQueue } from '../../src/testing/index.js';
import { ConsultError, type QueueEntry } from '../../src/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';

const ANN: QueueEntry = {
  consultId: 'c-981',
  userId: 'pat-1',
  displayName: 'Ann Lee',
  role: 'patient',
  since: '2026-03-02T09:15:00Z',
  deviceCheck: { camera: 'ok', microphone: 'denied' },
};
const ANA: QueueEntry = {
  consultId: 'c-982',
  userId: 'invite:inv_abc',
  displayName: 'Ana (interpreter)',
  role: 'guest',
  since: '2026-03-02T09:20:00Z',
};

async function mount(queue: FakeQueue, attrs = ''): Promise<ConsultQueue> {
  const el = await fixture<ConsultQueue>(
    attrs === 'sound'
      ? html`<consult-queue .queue=${queue} lang="en" sound></consult-queue>`
      : attrs === 'notify'
        ? html`<consult-queue .queue=${queue} lang="en" notify></consult-queue>`
        : html`<consult-queue .queue=${queue} lang="en"></consult-queue>`,
  );
  await el.updateComplete;
  return el;
}

const $ = (el: ConsultQueue, selector: string): HTMLElement | null =>
  el.shadowRoot!.querySelector<HTMLElement>(selector);
const $$ = (el: ConsultQueue, selector: string): HTMLElement[] => [
  ...el.shadowRoot!.querySelectorAll<HTMLElement>(selector),
];
const text = (node: Element | null): string =>
  (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
const live = (el: ConsultQueue) => $(el, '[role="status"]');

describe('<consult-queue>', () => {
  describe('properties', () => {
    it('should start the queue it is given and show that it is loading', async () => {
      const queue = new FakeQueue();
      const el = await mount(queue);
      assert.deepEqual(
        queue.calls.map((c) => c.method),
        ['start'],
      );
      assert.include(text($(el, '[part~="empty"]')), 'Loading');
      assert.isTrue(el.hasCustomState('loading'));
    });

    it('should list each waiting person with name, consultation, time and device check', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN, ANA]);
      const el = await mount(queue);
      const entries = $$(el, '[part~="entry"]');
      assert.lengthOf(entries, 2);
      const first = entries[0]!;
      assert.equal(text(first.querySelector('[part~="name"]')), 'Ann Lee');
      assert.equal(text(first.querySelector('[part~="consult"]')), 'Consultation c-981');
      assert.equal(
        first.querySelector('[part~="since"]')?.getAttribute('datetime'),
        '2026-03-02T09:15:00.000Z',
      );
      const check = text(first.querySelector('[part~="device-check"]'));
      assert.include(check, 'Camera works');
      assert.include(check, 'Microphone not available');
      assert.equal(text(entries[1]!.querySelector('[part~="role"]')), 'Guest');
      assert.equal(text(entries[1]!.querySelector('[part~="device-check"]')), 'No device check');
      assert.equal(text($(el, '[part~="count"]')), '2 waiting');
    });

    it('should render the texts in the resolved language', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN]);
      const el = await fixture<ConsultQueue>(
        html`<consult-queue .queue=${queue} lang="es"></consult-queue>`,
      );
      await waitUntil(() => text($(el, '[part~="title"]')) === 'Sala de espera');
      assert.equal(text($(el, '[part~="admit-button"]')), 'Admitir');
    });

    it('should never close a queue it was given', async () => {
      const queue = new FakeQueue();
      const el = await mount(queue);
      el.remove();
      assert.notInclude(
        queue.calls.map((c) => c.method),
        'close',
      );
    });
  });

  describe('events', () => {
    it('should admit in place, take the person off the list and announce it', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN, ANA]);
      const el = await mount(queue);
      $(el, '[part~="entry"] [part~="admit-button"]')!.click();
      await waitUntil(() => $$(el, '[part~="entry"]').length === 1);
      assert.deepEqual(queue.calls[1], { method: 'admit', args: ['c-981', 'pat-1'] });
      await waitUntil(() => text(live(el)) === 'Ann Lee was admitted');
    });

    it('should deny in place', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN]);
      const el = await mount(queue);
      $(el, '[part~="deny-button"]')!.click();
      await waitUntil(() => el.hasCustomState('empty'));
      assert.deepEqual(queue.calls[1], { method: 'deny', args: ['c-981', 'pat-1'] });
      assert.equal(text($(el, '[part~="empty"]')), 'Nobody is waiting.');
    });

    it('should dispatch consult-queue-open with the consultation when Open is chosen', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN]);
      const el = await mount(queue);
      setTimeout(() => $(el, '[part~="open-button"]')!.click());
      const event = await oneEvent(el, 'consult-queue-open');
      assert.equal(event.detail.consultId, 'c-981');
      assert.equal(event.detail.entry.userId, 'pat-1');
      assert.isTrue(event.bubbles && event.composed);
    });

    it('should dispatch consult-queue-waiting and announce someone who starts waiting', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([]);
      const el = await mount(queue);
      setTimeout(() => queue.simulateWaiting(ANA));
      const event = await oneEvent(el, 'consult-queue-waiting');
      assert.equal(event.detail.entry.displayName, 'Ana (interpreter)');
      await waitUntil(() => text(live(el)) === 'Ana (interpreter) is waiting (consultation c-982)');
      assert.equal(live(el)?.getAttribute('aria-live'), 'polite');
    });

    it('should show a failed admission and dispatch consult-error', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN]);
      queue.failNext(new ConsultError('conflict', 'not waiting'));
      const el = await mount(queue);
      setTimeout(() => $(el, '[part~="admit-button"]')!.click());
      const event = await oneEvent(el, 'consult-error');
      assert.equal(event.detail.error.code, 'conflict');
      await el.updateComplete;
      assert.equal($(el, '[part~="error"]')?.getAttribute('role'), 'alert');
      assert.isTrue(el.hasCustomState('error'));
      assert.lengthOf($$(el, '[part~="entry"]'), 1, 'still waiting');
    });

    it('should show a refused queue as an error', async () => {
      const queue = new FakeQueue();
      const el = await mount(queue);
      queue.simulateError(new ConsultError('forbidden', 'no'));
      await el.updateComplete;
      assert.equal(text($(el, '[part~="error"]')), 'You are not allowed to do this.');
      assert.isTrue(el.hasCustomState('error'));
    });
  });

  describe('alerts', () => {
    it('should chime when someone starts waiting only with `sound`', async () => {
      const original = globalThis.AudioContext;
      let oscillators = 0;
      class FakeAudioContext {
        currentTime = 0;
        destination = {};
        resume = () => Promise.resolve();
        createOscillator() {
          oscillators++;
          return {
            type: '',
            frequency: { value: 0 },
            connect: (n: unknown) => n,
            start() {},
            stop() {},
          };
        }
        createGain() {
          const node = {
            gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} },
            connect: (n: unknown) => n,
          };
          return node;
        }
      }
      (globalThis as { AudioContext: unknown }).AudioContext = FakeAudioContext;
      try {
        const silent = new FakeQueue();
        await mount(silent);
        silent.simulateWaiting(ANN);
        assert.equal(oscillators, 0);
        const loud = new FakeQueue();
        await mount(loud, 'sound');
        loud.simulateWaiting(ANN);
        assert.isAbove(oscillators, 0);
      } finally {
        (globalThis as { AudioContext: unknown }).AudioContext = original;
      }
    });

    it('should offer to turn notifications on, then notify with `notify`', async () => {
      const original = globalThis.Notification;
      const shown: Array<[string, NotificationOptions | undefined]> = [];
      class FakeNotification {
        static permission: NotificationPermission = 'default';
        static requestPermission() {
          FakeNotification.permission = 'granted';
          return Promise.resolve<NotificationPermission>('granted');
        }
        constructor(title: string, options?: NotificationOptions) {
          shown.push([title, options]);
        }
      }
      (globalThis as { Notification: unknown }).Notification = FakeNotification;
      try {
        const queue = new FakeQueue();
        const el = await mount(queue, 'notify');
        const button = $(el, '[part~="notify-button"]');
        assert.equal(text(button), 'Turn on notifications');
        button!.click();
        await waitUntil(() => $(el, '[part~="notify-button"]') === null);
        queue.simulateWaiting(ANN);
        assert.deepEqual(shown, [
          [
            'Someone is waiting',
            { body: 'Ann Lee is waiting (consultation c-981)', tag: 'c-981\npat-1' },
          ],
        ]);
      } finally {
        (globalThis as { Notification: unknown }).Notification = original;
      }
    });
  });

  describe('states and accessibility', () => {
    it('should be axe-clean empty, with people waiting, and with an error', async () => {
      const empty = new FakeQueue();
      empty.simulateSnapshot([]);
      const a = await mount(empty);
      assert.isTrue(a.hasCustomState('empty'));
      await expectNoAxeViolations(a);
      const many = new FakeQueue();
      many.simulateSnapshot([ANN, ANA]);
      const b = await mount(many);
      assert.isTrue(b.hasCustomState('waiting'));
      assert.equal($(b, '[part~="list"]')?.tagName, 'UL');
      await expectNoAxeViolations(b);
      many.simulateError(new ConsultError('network-error', 'offline'));
      await b.updateComplete;
      await expectNoAxeViolations(b);
    });

    it('should name every button after the person it acts on', async () => {
      const queue = new FakeQueue();
      queue.simulateSnapshot([ANN]);
      const el = await mount(queue);
      assert.equal($(el, '[part~="admit-button"]')?.getAttribute('aria-label'), 'Admit Ann Lee');
      assert.equal($(el, '[part~="deny-button"]')?.getAttribute('aria-label'), 'Deny Ann Lee');
      assert.equal(
        $(el, '[part~="open-button"]')?.getAttribute('aria-label'),
        'Open consultation c-981 (Ann Lee)',
      );
    });
  });
});
