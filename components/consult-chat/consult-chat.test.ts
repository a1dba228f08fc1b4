import { assert, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../consult-chat.js';
import type { ConsultChat } from './consult-chat.component.js';
import { FakeSession } from '../../src/testing/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';
import { ConsultError, MAX_CHAT_MESSAGE_LENGTH } from '../../src/index.js';

const XSS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '"><svg onload="window.__xss=1">',
  '{{constructor.constructor("window.__xss=1")()}}',
];

function connected(): FakeSession {
  const session = new FakeSession();
  session.simulateConnection('connected', 'media-connected');
  return session;
}

async function mount(session: FakeSession, lang?: string): Promise<ConsultChat> {
  const el = await fixture<ConsultChat>(
    html`<consult-chat
      .session=${session}
      lang=${lang ?? 'en'}
      style="height: 320px"
    ></consult-chat>`,
  );
  await el.updateComplete;
  return el;
}

const $ = (el: ConsultChat, selector: string): HTMLElement | null =>
  el.shadowRoot!.querySelector<HTMLElement>(selector);
const $$ = (el: ConsultChat, selector: string): HTMLElement[] => [
  ...el.shadowRoot!.querySelectorAll<HTMLElement>(selector),
];
const text = (node: Element | null): string =>
  (node?.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('<consult-chat>', () => {
  describe('properties', () => {
    it('should show each message with sender, role, time and text', async () => {
      const session = connected();
      session.simulateMessage({
        text: 'Hello, how are you?',
        senderName: 'Dr. Ada',
        senderRole: 'provider',
      });
      const el = await mount(session);
      const message = $(el, '[part~="message"]')!;
      assert.strictEqual(text(message.querySelector('[part="sender"]')), 'Dr. Ada');
      assert.strictEqual(text(message.querySelector('[part="role"]')), 'Provider');
      assert.match(message.querySelector('time')!.getAttribute('datetime') ?? '', /^\d{4}-/);
      assert.strictEqual(text(message.querySelector('[part="text"]')), 'Hello, how are you?');
    });

    it('should mark own and other messages differently (part and label), not by colour alone', async () => {
      const session = connected();
      session.simulateMessage({ text: 'from them' });
      session.simulateMessage({
        text: 'from me',
        isLocal: true,
        senderName: 'Me',
        senderRole: 'patient',
      });
      const el = await mount(session);
      const [other, own] = $$(el, '[part~="message"]');
      assert.include(other!.getAttribute('part'), 'other');
      assert.include(own!.getAttribute('part'), 'own');
      assert.strictEqual(text(own!.querySelector('[part="sender"]')), 'You');
      assert.strictEqual(text(own!.querySelector('[part="delivery"]')), 'Sent');
    });

    it('should expose the unread count as a property', async () => {
      const session = connected();
      const el = await mount(session);
      el.hidden = true;
      session.simulateMessage({ text: 'one' });
      session.simulateMessage({ text: 'two' });
      await el.updateComplete;
      assert.strictEqual(el.unread, 2);
    });

    it('should show the empty slot when there are no messages', async () => {
      const el = await fixture<ConsultChat>(
        html`<consult-chat .session=${connected()}><span slot="empty">Say hi</span></consult-chat>`,
      );
      const slot = $(el, '[part="empty"] slot') as HTMLSlotElement;
      assert.deepEqual(
        slot.assignedNodes().map((n) => n.textContent),
        ['Say hi'],
      );
    });

    it('should translate its text from the lang attribute', async () => {
      const el = await mount(connected(), 'es');
      await waitUntil(
        () =>
          text($(el, '[part="title"]')) === 'Chat' &&
          text($(el, '[part="empty"]')) === 'Todavía no hay mensajes.',
      );
      assert.strictEqual($(el, 'textarea')!.getAttribute('aria-label'), 'Mensaje');
    });

    it('should let the portal override any string', async () => {
      const session = connected();
      const el = await fixture<ConsultChat>(
        html`<consult-chat .session=${session} .strings=${{ 'chat.send': 'Post' }}></consult-chat>`,
      );
      assert.strictEqual(text($(el, '[part~="send-button"]')), 'Post');
    });
  });

  describe('composer', () => {
    it('should send on Enter and keep a newline on Shift+Enter', async () => {
      const session = connected();
      const el = await mount(session);
      $(el, 'textarea')!.focus();
      await sendKeys({ type: 'first line' });
      await sendKeys({ down: 'Shift' });
      await sendKeys({ press: 'Enter' });
      await sendKeys({ up: 'Shift' });
      await sendKeys({ type: 'second line' });
      assert.strictEqual(session.callsOf('sendMessage').length, 0);
      await sendKeys({ press: 'Enter' });
      await waitUntil(() => session.callsOf('sendMessage').length === 1);
      assert.strictEqual(session.callsOf('sendMessage')[0]!.args[0], 'first line\nsecond line');
      await el.updateComplete;
      assert.strictEqual(($(el, 'textarea') as HTMLTextAreaElement).value, '');
      assert.strictEqual(el.shadowRoot!.activeElement, $(el, 'textarea'));
    });

    it('should not send empty or whitespace-only text', async () => {
      const session = connected();
      const el = await mount(session);
      $(el, 'textarea')!.focus();
      await sendKeys({ type: '   ' });
      await sendKeys({ press: 'Enter' });
      await el.updateComplete;
      assert.strictEqual(session.callsOf('sendMessage').length, 0);
      assert.strictEqual(($(el, '[part~="send-button"]') as HTMLButtonElement).disabled, true);
    });

    it('should show a characters-left counter only near the limit', async () => {
      const el = await mount(connected());
      const input = $(el, 'textarea') as HTMLTextAreaElement;
      input.value = 'x'.repeat(100);
      input.dispatchEvent(new Event('input'));
      await el.updateComplete;
      assert.strictEqual($(el, '[part="counter"]'), null);
      input.value = 'x'.repeat(MAX_CHAT_MESSAGE_LENGTH - 150);
      input.dispatchEvent(new Event('input'));
      await el.updateComplete;
      assert.strictEqual(text($(el, '[part="counter"]')), '150 characters left');
      assert.strictEqual(input.getAttribute('aria-describedby'), 'counter');
      assert.strictEqual(input.maxLength, MAX_CHAT_MESSAGE_LENGTH);
    });

    it('should disable the composer once the session has ended', async () => {
      const session = connected();
      const el = await mount(session);
      session.simulateConnection('disconnected', 'left');
      await el.updateComplete;
      assert.strictEqual(($(el, 'textarea') as HTMLTextAreaElement).disabled, true);
      assert.strictEqual(text($(el, '.offline')), 'Chat is available once you have joined.');
    });
  });

  describe('delivery', () => {
    it('should show a failed message as not delivered and retry it', async () => {
      const session = connected();
      session.simulateMessage({ text: 'Are you there?', isLocal: true, delivery: 'failed' });
      const el = await mount(session);
      const message = $(el, '[part~="message"]')!;
      assert.include(message.getAttribute('part'), 'failed');
      assert.include(text(message.querySelector('[part="delivery"]')), 'Not delivered');
      await expectNoAxeViolations(el);
      ($(el, '[part~="retry-button"]') as HTMLButtonElement).click();
      await waitUntil(() => text($(el, '[part="delivery"]')) === 'Sent');
      assert.deepEqual(session.callsOf('retryMessage')[0]!.args, [message.dataset.id]);
      assert.strictEqual($(el, '[part~="retry-button"]'), null);
    });

    it('should emit consult-error without an error box when delivery fails', async () => {
      const session = connected();
      session.failNext('sendMessage', 'message-failed');
      const el = await mount(session);
      const input = $(el, 'textarea') as HTMLTextAreaElement;
      input.value = 'hi';
      input.dispatchEvent(new Event('input'));
      await el.updateComplete;
      const event = oneEvent(el, 'consult-error');
      ($(el, '[part~="send-button"]') as HTMLButtonElement).click();
      assert.strictEqual((await event).detail.error.code, 'message-failed');
      await el.updateComplete;
      assert.strictEqual($(el, '[part="error"]'), null);
    });

    it('should show the error and emit consult-error when sending is refused', async () => {
      const session = connected();
      session.failNext('sendMessage', new ConsultError('forbidden', 'no'));
      const el = await mount(session);
      const input = $(el, 'textarea') as HTMLTextAreaElement;
      input.value = 'hi';
      input.dispatchEvent(new Event('input'));
      await el.updateComplete;
      const event = oneEvent(el, 'consult-error');
      ($(el, '[part~="send-button"]') as HTMLButtonElement).click();
      const { detail } = await event;
      assert.strictEqual(detail.error.code, 'forbidden');
      await el.updateComplete;
      assert.strictEqual($(el, '[part="error"]')!.getAttribute('role'), 'alert');
      assert.strictEqual(text($(el, '[part="error"]')), 'You are not allowed to do this.');
      assert.strictEqual(el.hasCustomState('error'), true);
    });
  });

  describe('unread and scrolling', () => {
    it('should mark messages read while visible', async () => {
      const session = connected();
      const el = await mount(session);
      session.simulateMessage({ text: 'hello' });
      await waitUntil(() => session.callsOf('markRead').length > 0 && el.unread === 0);
    });

    it('should keep messages unread while hidden and emit consult-unread-change', async () => {
      const session = connected();
      const el = await mount(session);
      el.hidden = true;
      await el.updateComplete;
      const event = oneEvent(el, 'consult-unread-change');
      session.simulateMessage({ text: 'hello' });
      const { detail } = await event;
      assert.strictEqual(detail.unread, 1);
      assert.strictEqual(el.hasCustomState('unread'), true);
      el.hidden = false;
      await waitUntil(() => el.unread === 0);
    });

    it('should show a new-messages button instead of jumping when the reader scrolled up', async () => {
      const session = connected();
      for (let i = 0; i < 30; i++) session.simulateMessage({ text: `message ${i}` });
      const el = await mount(session);
      const log = $(el, '[part="log"]')!;
      await waitUntil(() => log.scrollTop > 0, 'log starts at the newest message');
      log.scrollTop = 0;
      log.dispatchEvent(new Event('scroll'));
      const pageScroll = window.scrollY;
      session.simulateMessage({ text: 'a new one' });
      await el.updateComplete;
      await waitUntil(() => $(el, '[part~="new-messages"]') !== null);
      assert.strictEqual(log.scrollTop, 0);
      assert.strictEqual(window.scrollY, pageScroll);
      await expectNoAxeViolations(el);
      ($(el, '[part~="new-messages"]') as HTMLButtonElement).click();
      await el.updateComplete;
      assert.isBelow(log.scrollHeight - log.scrollTop - log.clientHeight, 2);
      assert.strictEqual($(el, '[part~="new-messages"]'), null);
      assert.strictEqual(el.shadowRoot!.activeElement, log);
    });

    it('should follow new messages when the reader is at the bottom', async () => {
      const session = connected();
      for (let i = 0; i < 30; i++) session.simulateMessage({ text: `message ${i}` });
      const el = await mount(session);
      const log = $(el, '[part="log"]')!;
      session.simulateMessage({ text: 'latest' });
      await el.updateComplete;
      assert.isBelow(log.scrollHeight - log.scrollTop - log.clientHeight, 2);
      assert.strictEqual($(el, '[part~="new-messages"]'), null);
    });
  });

  describe('long histories', () => {
    /** Counts the element's renders from now on. */
    function countRenders(el: ConsultChat): { count: number } {
      const counter = { count: 0 };
      const render = el.render.bind(el);
      el.render = () => {
        counter.count++;
        return render();
      };
      return counter;
    }

    it('should render every message in order and follow the newest one', async () => {
      const session = connected();
      for (let i = 0; i < 95; i++) session.simulateMessage({ text: `message ${i}` });
      const el = await mount(session);
      const log = $(el, '[part="log"]')!;
      session.simulateMessage({ text: 'message 95' });
      await el.updateComplete;
      const texts = $$(el, '[part="text"]').map((node) => node.textContent);
      assert.deepEqual(
        texts,
        Array.from({ length: 96 }, (_, i) => `message ${i}`),
      );
      assert.isBelow(log.scrollHeight - log.scrollTop - log.clientHeight, 2);
      const last = $$(el, '[part~="message"]').at(-1)!.getBoundingClientRect();
      assert.isAtMost(last.bottom, log.getBoundingClientRect().bottom + 1);
      assert.isAbove(last.height, 0);
    });

    it('should render an incoming message once, marking it read without a second render', async () => {
      const session = connected();
      const other = session.simulateParticipantJoined({ displayName: 'Dr. Chen' });
      for (let i = 0; i < 60; i++) session.simulateMessage({ text: `message ${i}` });
      const el = await mount(session);
      await waitUntil(() => el.unread === 0);
      const renders = countRenders(el);
      session.simulateMessage({ text: 'new' });
      await el.updateComplete;
      await el.updateComplete;
      assert.strictEqual(el.unread, 0);
      assert.strictEqual(el.hasCustomState('unread'), false);
      assert.strictEqual(renders.count, 1);
      session.simulateQuality(other.id, 'poor');
      session.simulateSpeaking(other.id, true);
      await el.updateComplete;
      assert.strictEqual(renders.count, 1, 'participant updates do not re-render the chat');
    });

    it('should keep the DOM of unchanged messages and update only the changed one', async () => {
      const session = connected();
      const failed = session.simulateMessage({ text: 'early', isLocal: true, delivery: 'failed' });
      for (let i = 0; i < 70; i++) session.simulateMessage({ text: `message ${i}` });
      const el = await mount(session);
      const before = $$(el, '[part~="message"]');
      session.simulateDelivery(failed.id, 'sent');
      session.simulateMessage({ text: 'latest' });
      await el.updateComplete;
      const after = $$(el, '[part~="message"]');
      assert.strictEqual(after.length, before.length + 1);
      assert.isTrue(before.every((node, i) => after[i] === node));
      assert.strictEqual(text(after[0]!.querySelector('[part="delivery"]')), 'Sent');
      assert.strictEqual(after[0]!.querySelector('[part~="retry-button"]'), null);
    });

    it('should place history merged before the loaded messages in order', async () => {
      const session = connected();
      for (let i = 0; i < 50; i++)
        session.simulateMessage({ text: `live ${i}`, timestamp: 2000 + i });
      const el = await mount(session);
      const history = Array.from({ length: 45 }, (_, i) => ({
        ...session.state.chat.messages[0]!,
        id: `history-${i}`,
        text: `old ${i}`,
        timestamp: 1000 + i,
        fromHistory: true,
      }));
      session.simulateState({
        chat: { ...session.state.chat, messages: [...history, ...session.state.chat.messages] },
      });
      await el.updateComplete;
      const ids = $$(el, '[part~="message"]').map((node) => node.dataset.id);
      assert.deepEqual(
        ids,
        session.state.chat.messages.map((m) => m.id),
      );
    });

    it('should translate the messages already shown when the language changes', async () => {
      const session = connected();
      session.simulateMessage({ text: 'hola', senderRole: 'provider' });
      for (let i = 0; i < 45; i++) session.simulateMessage({ text: 'mine', isLocal: true });
      const el = await mount(session);
      el.lang = 'es';
      await waitUntil(() => text($(el, '[part="role"]')) === 'Profesional');
      assert.strictEqual(text($$(el, '[part="sender"]').at(-1)!), 'Usted');
      assert.strictEqual(text($$(el, '[part="delivery"]').at(-1)!), 'Enviado');
    });
  });

  describe('security', () => {
    for (const payload of XSS) {
      it(`should render "${payload}" as text in names and messages`, async () => {
        const session = connected();
        session.simulateMessage({ text: payload, senderName: payload });
        const el = await mount(session);
        const message = $(el, '[part~="message"]')!;
        assert.strictEqual(text(message.querySelector('[part="sender"]')), payload);
        assert.strictEqual(message.querySelector('[part="text"]')!.textContent, payload);
        assert.strictEqual(el.shadowRoot!.querySelector('img, script, svg[onload]'), null);
        assert.strictEqual((window as unknown as { __xss?: number }).__xss, undefined);
      });
    }
  });

  describe('accessibility', () => {
    it('should have a named role="log" message list', async () => {
      const el = await mount(connected());
      const log = $(el, '[role="log"]')!;
      assert.strictEqual(log.getAttribute('aria-label'), 'Messages');
      assert.strictEqual(log.tabIndex, 0);
    });

    it('should have no axe violations when empty', async () => {
      await expectNoAxeViolations(await mount(connected()));
    });

    it('should have no axe violations with messages, in dark mode and right-to-left', async () => {
      const session = connected();
      session.simulateMessage({ text: 'مرحبا', senderName: 'د. أحمد' });
      session.simulateMessage({ text: 'hi', isLocal: true, delivery: 'sending' });
      const el = await mount(session, 'ar');
      await waitUntil(
        () =>
          $(el, '.base')!.getAttribute('dir') === 'rtl' &&
          text($(el, '[part="title"]')) === 'الدردشة',
      );
      el.style.colorScheme = 'dark';
      await expectNoAxeViolations(el);
    });
  });
});
