/**
 * Chat over backend signals of type `chat` (payload {@link ChatSignalPayload}). Senders are taken
 * from the connection's server data, never from the payload. Outgoing messages wait in an outbox
 * until the session is connected and go out in order; receivers drop duplicates by id, so a resend
 * after a reconnect never shows twice. The token server's history is merged in once connected
 * (`loadHistory`); on LiveKit the sender also relays each message to it (`relay`).
 * @packageDocumentation
 */
import {
  MAX_CHAT_MESSAGE_LENGTH,
  type ChatSignalPayload,
  type ParticipantRole,
  type StoredChatMessage,
} from './contract.js';
import type { ConsultApi } from './api.js';
import { ConsultError } from './errors.js';
import type { Logger } from './logger.js';
import type { StateStore } from './store.js';
import type { ChatMessage, SendMessageOptions, SessionEventMap, SessionState } from './types.js';

/** The signal type chat uses (OpenVidu: `signal:chat`). @public */
export const CHAT_SIGNAL_TYPE = 'chat';

/** Whether a message can go out now, must wait, or can never go out. @internal */
export type ChatReadiness = 'send' | 'queue' | 'closed';

/** What the chat needs from its session. @internal */
export interface ChatContext {
  store: StateStore<SessionState>;
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void;
  logger: Logger;
  now(): number;
  randomId(): string;
  readiness(): ChatReadiness;
  sendSignal(type: string, data: string, to?: readonly string[]): Promise<void>;
  /** The local user as others see them. */
  local(): { connectionId: string; userId?: string; displayName: string; role: ParticipantRole };
}

interface Outgoing {
  id: string;
  payload: string;
  to: readonly string[] | undefined;
  settle: { resolve(message: ChatMessage): void; reject(error: ConsultError): void };
}

/**
 * Validates chat text. Misuse throws synchronously: a non-string is a `TypeError`, empty or
 * whitespace-only text a `RangeError`. Text over {@link MAX_CHAT_MESSAGE_LENGTH} UTF-16 code units is
 * user input, so it yields `ConsultError('message-too-long')` for the caller to reject with.
 * @internal
 */
export function validateChatText(text: unknown): ConsultError | undefined {
  if (typeof text !== 'string') throw new TypeError('Chat text must be a string.');
  if (text.trim() === '') throw new RangeError('Chat text must not be empty.');
  if (text.length > MAX_CHAT_MESSAGE_LENGTH) {
    return new ConsultError(
      'message-too-long',
      `Chat messages are limited to ${MAX_CHAT_MESSAGE_LENGTH} characters.`,
      { details: { max: MAX_CHAT_MESSAGE_LENGTH, length: text.length } },
    );
  }
  return undefined;
}

/** @internal */
export class ChatManager {
  private readonly ctx: ChatContext;
  private readonly seen = new Set<string>();
  private readonly outbox: Outgoing[] = [];
  private readonly pending = new Map<string, Outgoing>();
  /** Recipients of private messages not sent yet (a retry goes to the same people). */
  private readonly recipients = new Map<string, readonly string[]>();
  private flushing = false;

  constructor(ctx: ChatContext) {
    this.ctx = ctx;
  }

  /** Queues a message (validated by the caller) and resolves once it is sent. */
  send(text: string, options: SendMessageOptions = {}): Promise<ChatMessage> {
    if (this.ctx.readiness() === 'closed') {
      return Promise.reject(ConsultError.invalidState('The session has ended; chat is closed.'));
    }
    const id = this.ctx.randomId();
    const timestamp = this.ctx.now();
    const local = this.ctx.local();
    const payload: ChatSignalPayload = {
      v: 1,
      id,
      text,
      sentAt: new Date(timestamp).toISOString(),
    };
    const message: ChatMessage = {
      id,
      senderId: local.connectionId,
      senderName: local.displayName,
      senderRole: local.role,
      isLocal: true,
      text,
      timestamp,
      delivery: 'sending',
    };
    this.seen.add(id);
    this.setMessages((messages) => [...messages, message]);
    if (options.to && options.to.length > 0) this.recipients.set(id, [...options.to]);
    return this.enqueue(id, JSON.stringify(payload), options.to);
  }

  /** Sends a failed message again (same id, so receivers that got it already ignore it). */
  retry(id: string): Promise<ChatMessage> {
    const message = this.ctx.store.state.chat.messages.find((m) => m.id === id);
    if (!message || !message.isLocal) {
      return Promise.reject(ConsultError.invalidState(`No message of yours has id ${id}.`));
    }
    if (message.delivery !== 'failed') {
      return Promise.reject(ConsultError.invalidState('Only failed messages can be retried.'));
    }
    if (this.ctx.readiness() === 'closed') {
      return Promise.reject(ConsultError.invalidState('The session has ended; chat is closed.'));
    }
    const payload: ChatSignalPayload = {
      v: 1,
      id,
      text: message.text,
      sentAt: new Date(message.timestamp).toISOString(),
    };
    this.setDelivery(id, 'sending');
    // A private message stays private when retried.
    return this.enqueue(id, JSON.stringify(payload), this.recipients.get(id));
  }

  /** Sends what waits in the outbox, in order, while the session can send. */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    void this.drain().finally(() => {
      this.flushing = false;
    });
  }

  /** Handles a `chat` signal from connection `from`. */
  receive(data: string, from: string | undefined): void {
    const payload = parsePayload(data);
    if (!payload) {
      this.ctx.logger.debug('dropped a malformed chat signal', { from });
      return;
    }
    if (this.seen.has(payload.id)) return;
    this.seen.add(payload.id);
    const state = this.ctx.store.state;
    const local = this.ctx.local();
    const sender = from === undefined ? undefined : state.participants.find((p) => p.id === from);
    const isLocal = from !== undefined && from === local.connectionId;
    const sentAt = Date.parse(payload.sentAt);
    const message: ChatMessage = {
      id: payload.id,
      senderId: from ?? '',
      senderName: isLocal
        ? local.displayName
        : (sender?.displayName ?? (from === undefined ? 'System' : 'Guest')),
      senderRole: isLocal ? local.role : (sender?.role ?? 'guest'),
      isLocal,
      text: payload.text,
      timestamp: Number.isNaN(sentAt) ? this.ctx.now() : sentAt,
      delivery: 'sent',
    };
    this.setMessages((messages) => [...messages, message]);
    this.ctx.emit('messageReceived', { message });
    if (!isLocal) this.setUnread(this.ctx.store.state.chat.unread + 1);
  }

  markRead(): void {
    this.setUnread(0);
  }

  /** Merges the server's history (deduplicated by id, oldest first; does not count as unread). */
  mergeHistory(stored: readonly StoredChatMessage[] | undefined): void {
    const local = this.ctx.local();
    const fresh: ChatMessage[] = [];
    for (const m of stored ?? []) {
      if (this.seen.has(m.id) || typeof m.text !== 'string') continue;
      this.seen.add(m.id);
      const sentAt = Date.parse(m.sentAt);
      fresh.push({
        id: m.id,
        senderId: m.connectionId ?? '',
        senderName: m.senderName || 'Guest',
        senderRole: m.senderRole ?? 'guest',
        isLocal:
          (local.userId !== undefined && m.senderId === local.userId) ||
          (local.connectionId !== '' && m.connectionId === local.connectionId),
        text: m.text,
        timestamp: Number.isNaN(sentAt) ? 0 : sentAt,
        delivery: 'sent',
        fromHistory: true,
      });
    }
    this.ctx.store.update((s) => {
      const messages =
        fresh.length === 0 ? s.chat.messages : sortStable([...fresh, ...s.chat.messages]);
      return { ...s, chat: { ...s.chat, messages, historyLoaded: true } };
    });
  }

  /** Loads the token server's history once connected (without a token server there is none). */
  async loadHistory(api: ConsultApi, signal: AbortSignal): Promise<void> {
    if (!api.hasServer) {
      this.mergeHistory(undefined);
      return;
    }
    try {
      const stored = await api.messages(signal);
      if (!signal.aborted) this.mergeHistory(stored);
    } catch (error) {
      if (signal.aborted) return;
      this.ctx.logger.warn('chat history could not be loaded', {
        code: error instanceof ConsultError ? error.code : 'unknown',
      });
      this.mergeHistory(undefined);
    }
  }

  /**
   * LiveKit's webhooks carry no data packets, so the token server learns of a chat message from its
   * sender: one POST per message sent (the id makes a retry harmless). A failure costs the history
   * that message, not the conversation, so it is only logged.
   */
  relay(api: ConsultApi, data: string, to: readonly string[] | undefined): void {
    api
      .relayMessage(this.ctx.local().connectionId, data, to && to.length > 0 ? to : undefined)
      .catch((error: unknown) =>
        this.ctx.logger.warn('chat message not relayed to the history', {
          code: ConsultError.from(error).code,
        }),
      );
  }

  /** Fails everything still waiting (the session ended). */
  failAll(): void {
    const error = new ConsultError(
      'message-failed',
      'The session ended before the message was sent.',
      {
        recoverable: false,
      },
    );
    for (const item of this.outbox.splice(0)) this.fail(item, error);
  }

  private enqueue(
    id: string,
    payload: string,
    to: readonly string[] | undefined,
  ): Promise<ChatMessage> {
    return new Promise<ChatMessage>((resolve, reject) => {
      const item: Outgoing = { id, payload, to, settle: { resolve, reject } };
      this.outbox.push(item);
      this.pending.set(id, item);
      if (this.ctx.readiness() === 'send') this.flush();
    });
  }

  private async drain(): Promise<void> {
    while (this.outbox.length > 0 && this.ctx.readiness() === 'send') {
      const item = this.outbox[0];
      if (!item) break;
      try {
        await this.ctx.sendSignal(CHAT_SIGNAL_TYPE, item.payload, item.to);
      } catch (cause) {
        if (this.ctx.readiness() === 'queue') {
          // The connection dropped under us: keep the message first in line for the reconnect.
          this.ctx.logger.debug('chat send interrupted; waiting for the connection', {
            id: item.id,
          });
          return;
        }
        this.outbox.shift();
        this.fail(
          item,
          new ConsultError('message-failed', 'The message could not be sent.', { cause }),
        );
        continue;
      }
      this.outbox.shift();
      this.pending.delete(item.id);
      this.recipients.delete(item.id);
      const message = this.setDelivery(item.id, 'sent');
      if (message) item.settle.resolve(message);
    }
  }

  private fail(item: Outgoing, error: ConsultError): void {
    this.pending.delete(item.id);
    this.setDelivery(item.id, 'failed');
    item.settle.reject(error);
  }

  private setDelivery(id: string, delivery: ChatMessage['delivery']): ChatMessage | undefined {
    let updated: ChatMessage | undefined;
    this.setMessages((messages) =>
      messages.map((m) => {
        if (m.id !== id || m.delivery === delivery) return m;
        updated = { ...m, delivery };
        return updated;
      }),
    );
    if (updated) this.ctx.emit('messageStatusChanged', { message: updated });
    return updated ?? this.ctx.store.state.chat.messages.find((m) => m.id === id);
  }

  private setMessages(update: (messages: readonly ChatMessage[]) => readonly ChatMessage[]): void {
    this.ctx.store.update((s) => {
      const messages = update(s.chat.messages);
      const same =
        messages.length === s.chat.messages.length &&
        messages.every((m, i) => m === s.chat.messages[i]);
      return same ? s : { ...s, chat: { ...s.chat, messages } };
    });
  }

  private setUnread(unread: number): void {
    if (this.ctx.store.state.chat.unread === unread) return;
    this.ctx.store.update((s) => ({ ...s, chat: { ...s.chat, unread } }));
    this.ctx.emit('unreadChanged', { unread });
  }
}

function parsePayload(data: string): ChatSignalPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, text, sentAt } = value as Partial<Record<keyof ChatSignalPayload, unknown>>;
  if (typeof id !== 'string' || id === '' || typeof text !== 'string' || text.trim() === '')
    return undefined;
  if (text.length > MAX_CHAT_MESSAGE_LENGTH) return undefined;
  return { v: 1, id, text, sentAt: typeof sentAt === 'string' ? sentAt : '' };
}

function sortStable(messages: ChatMessage[]): ChatMessage[] {
  return messages
    .map((m, i) => [m, i] as const)
    .sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1])
    .map(([m]) => m);
}
