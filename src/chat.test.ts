import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CHAT_MESSAGE_LENGTH } from './contract.js';
import { ConsultError } from './errors.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { jsonResponse } from './testing/fake-fetch.js';
import { recordEvents, SESSION_EVENT_NAMES, waitForState } from './testing/event-recorder.js';
import { createHarness, PATHS } from './testing/harness.js';

const sentIds = (h: ReturnType<typeof createHarness>): string[] =>
  h.backend.sentSignals.map((s) => (JSON.parse(s.data) as { id: string }).id);

describe('chat', () => {
  it('should send a message as a chat signal and mark it sent', async () => {
    const h = createHarness();
    const session = await h.client.join('c1', { displayName: 'Pat' });
    const message = await session.sendMessage('Hello doctor');
    assert.equal(message.delivery, 'sent');
    assert.equal(message.isLocal, true);
    assert.equal(message.senderName, 'Pat');
    const [signal] = h.backend.sentSignals;
    assert.equal(signal?.type, 'chat');
    const payload = JSON.parse(signal?.data ?? '{}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload).sort(), ['id', 'sentAt', 'text', 'v']);
    assert.equal(payload.text, 'Hello doctor');
    assert.equal(session.state.chat.unread, 0, 'own messages never count');
    await session.leave();
  });

  it('should queue messages while reconnecting and deliver them once, in order, after reconnected', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.simulateReconnecting();
    const first = session.sendMessage('one');
    const second = session.sendMessage('two');
    await flushMicrotasks();
    assert.equal(h.backend.sentSignals.length, 0, 'nothing goes out while reconnecting');
    assert.deepEqual(
      session.state.chat.messages.map((m) => m.delivery),
      ['sending', 'sending'],
    );
    h.backend.simulateReconnected();
    const [a, b] = await Promise.all([first, second]);
    assert.deepEqual(sentIds(h), [a.id, b.id]);
    assert.deepEqual(
      h.backend.sentSignals.map((s) => (JSON.parse(s.data) as { text: string }).text),
      ['one', 'two'],
    );
    assert.deepEqual(
      session.state.chat.messages.map((m) => m.delivery),
      ['sent', 'sent'],
    );
    await session.leave();
  });

  it('should queue messages sent before the first connect completes', async () => {
    const h = createHarness();
    const session = h.client.createSession('c1');
    const early = session.sendMessage('early');
    await session.connect();
    assert.equal((await early).delivery, 'sent');
    assert.equal(h.backend.sentSignals.length, 1);
    await session.leave();
  });

  it('should drop a duplicate message id (a resend after reconnect)', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.simulateParticipantJoined({
      connectionId: 'con_2',
      displayName: 'Dr. B',
      role: 'provider',
    });
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    h.backend.simulateMessage('con_2', { id: 'm1', text: 'Hi' });
    h.backend.simulateMessage('con_2', { id: 'm1', text: 'Hi' });
    assert.equal(session.state.chat.messages.length, 1);
    assert.equal(events.take('messageReceived').length, 1);
    await session.leave();
  });

  it('should take the sender from the connection, never from the payload', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.simulateParticipantJoined({
      connectionId: 'con_2',
      displayName: 'Dr. B',
      role: 'provider',
    });
    h.backend.simulateSignal(
      'chat',
      JSON.stringify({
        v: 1,
        id: 'm9',
        text: 'x',
        sentAt: '',
        senderName: 'Admin',
        role: 'provider',
      }),
      'con_3',
    );
    h.backend.simulateMessage('con_2', { id: 'm2', text: 'y' });
    const [fromUnknown, fromKnown] = session.state.chat.messages;
    assert.deepEqual([fromUnknown?.senderName, fromUnknown?.senderRole], ['Guest', 'guest']);
    assert.deepEqual([fromKnown?.senderName, fromKnown?.senderRole], ['Dr. B', 'provider']);
    await session.leave();
  });

  it('should drop malformed chat signals', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    for (const data of [
      'nope',
      '{}',
      JSON.stringify({ id: 'a', text: '  ' }),
      JSON.stringify({ id: 'b', text: 'x'.repeat(MAX_CHAT_MESSAGE_LENGTH + 1) }),
    ]) {
      h.backend.simulateSignal('chat', data, 'con_2');
    }
    assert.equal(session.state.chat.messages.length, 0);
    await session.leave();
  });

  it('should count unread remote messages and reset on markRead', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const events = recordEvents(session, SESSION_EVENT_NAMES);
    h.backend.simulateMessage('con_2', { id: 'a', text: '1' });
    h.backend.simulateMessage('con_2', { id: 'b', text: '2' });
    await session.sendMessage('mine');
    assert.equal(session.state.chat.unread, 2);
    session.markRead();
    assert.equal(session.state.chat.unread, 0);
    assert.deepEqual(
      events.take('unreadChanged').map((e) => e.unread),
      [1, 2, 0],
    );
    await session.leave();
  });

  it('should reject text over the limit with message-too-long', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    const error = await session
      .sendMessage('x'.repeat(MAX_CHAT_MESSAGE_LENGTH + 1))
      .catch((e: unknown) => e);
    assert.ok(error instanceof ConsultError);
    assert.equal(error.code, 'message-too-long');
    assert.equal((await session.sendMessage('x'.repeat(MAX_CHAT_MESSAGE_LENGTH))).delivery, 'sent');
    await session.leave();
  });

  it('should mark a failed send and deliver it with retryMessage under the same id', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.failSignals = 1;
    const error = await session.sendMessage('lost?').catch((e: unknown) => e);
    assert.ok(error instanceof ConsultError && error.code === 'message-failed');
    const [failed] = session.state.chat.messages;
    assert.equal(failed?.delivery, 'failed');
    const retried = await session.retryMessage(failed?.id ?? '');
    assert.equal(retried.delivery, 'sent');
    assert.deepEqual(sentIds(h), [failed?.id]);
    assert.equal(session.state.chat.messages.length, 1);
    await session.leave();
  });

  it('should retry a failed private message to the same recipients only', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.failSignals = 1;
    await session.sendMessage('for you only', { to: ['con_remote'] }).catch(() => undefined);
    const [failed] = session.state.chat.messages;
    assert.equal(failed?.delivery, 'failed');
    await session.retryMessage(failed?.id ?? '');
    const sends = h.backend.callsOf('sendSignal');
    assert.equal(sends.length, 2);
    assert.deepEqual(
      sends.map((c) => c.args[2]),
      [['con_remote'], ['con_remote']],
    );
    await session.leave();
  });

  it('should fail queued messages when the session ends', async () => {
    const h = createHarness();
    const session = await h.client.join('c1');
    h.backend.simulateReconnecting();
    const pending = session.sendMessage('never');
    h.backend.simulateDisconnected('networkDisconnect');
    const error = await pending.catch((e: unknown) => e);
    assert.ok(error instanceof ConsultError && error.code === 'message-failed');
    assert.equal(session.state.chat.messages[0]?.delivery, 'failed');
  });

  it('should merge history with live messages, deduplicated and oldest first, without unread', async () => {
    const h = createHarness();
    h.server.on('GET', PATHS.messages, () =>
      jsonResponse([
        {
          id: 'h1',
          consultId: 'c1',
          senderId: 'u2',
          senderName: 'Dr. B',
          senderRole: 'provider',
          connectionId: 'con_old',
          text: 'earlier',
          sentAt: '2020-01-01T00:00:00Z',
        },
        {
          id: 'live',
          consultId: 'c1',
          senderId: 'u2',
          senderName: 'Dr. B',
          senderRole: 'provider',
          connectionId: 'con_2',
          text: 'dup',
          sentAt: '2020-01-01T00:01:00Z',
        },
        {
          id: 'h2',
          consultId: 'c1',
          senderId: 'u-local',
          senderName: 'Pat',
          senderRole: 'patient',
          connectionId: 'con_old2',
          text: 'mine before',
          sentAt: '2020-01-01T00:00:30Z',
        },
      ]),
    );
    const session = h.client.createSession('c1');
    await session.connect();
    h.backend.simulateMessage('con_2', { id: 'live', text: 'dup', sentAt: '2030-01-01T00:00:00Z' });
    await waitForState(session, (s) => s.chat.historyLoaded);
    const { messages, unread } = session.state.chat;
    assert.deepEqual(
      messages.map((m) => m.id),
      ['h1', 'h2', 'live'],
    );
    assert.equal(messages[1]?.isLocal, true, 'history entries of the same user are local');
    assert.equal(messages[0]?.fromHistory, true);
    assert.equal(unread, 1, 'only the live message counts');
    await session.leave();
  });

  it('should treat a 404/501 history endpoint as no history', async () => {
    for (const status of [404, 501]) {
      const h = createHarness();
      h.server.on('GET', PATHS.messages, () =>
        jsonResponse({ error: { code: 'x', message: 'x' } }, status),
      );
      const session = await h.client.join('c1');
      const events = recordEvents(session, ['error']);
      await waitForState(session, (s) => s.chat.historyLoaded);
      assert.equal(session.state.chat.messages.length, 0);
      assert.ok(events.none('error'));
      await session.leave();
    }
  });
});
