/**
 * Chat history. Messages travel peer to peer as OpenVidu signals; OpenVidu reports each one to
 * the `signalSent` webhook, and this service keeps the chat ones, attributed to the connection's
 * user (never to what the payload claims), for participants to read back.
 *
 * Private messages (`sendMessage(text, { to })`) stay private: the webhook's `to` (the connection
 * ids OpenVidu delivered to) is mapped to user ids when the message is stored, and the history
 * gives a message only to its sender and those users. A broadcast reaches every connection in the
 * session, the sender's included; a message is stored as a broadcast (readable by every
 * participant, later ones too) only when `to` holds the sender's connection and every connection
 * the webhooks reported as present. Anything else is private; without `to` a message is its
 * sender's alone.
 */
import type { ChatSignalPayload, StoredChatMessage } from '../../../src/contract.js';
import { forbidden } from '../errors.js';
import type { Logger } from '../logger.js';
import * as S from '../schemas.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { MessageRepository } from '../repositories/messages.js';

/** The fields of a `signalSent` webhook this service reads. */
export interface SignalSent {
  /** Signal type: `chat` or `signal:chat` are chat messages. */
  type?: string | null | undefined;
  /** Sender connection id. */
  from?: string | null | undefined;
  /** Connection ids the signal was delivered to (every connection for a broadcast). */
  to?: readonly string[] | null | undefined;
  /** The signal's payload (JSON text). */
  data?: string | null | undefined;
}

export interface ChatServiceDeps {
  messages: MessageRepository;
  connections: ConnectionRepository;
  logger: Logger;
}

export class ChatService {
  constructor(private readonly deps: ChatServiceDeps) {}

  /** The latest `limit` messages, oldest first; 403 unless the user took part in the consult. */
  async history(consultId: string, userId: string, limit: number): Promise<StoredChatMessage[]> {
    const { connections, messages } = this.deps;
    if (!(await connections.isParticipant(consultId, userId)))
      throw forbidden('Only participants of this consultation may read its chat.');
    return messages.messages(consultId, userId, limit);
  }

  /**
   * Stores a message the sender's SDK relayed (LiveKit: its webhooks carry no data packets). The
   * sender is the connection, which must be one of the authenticated user's in this consultation,
   * so nobody can write in someone else's name; ids make a relayed and a webhook copy one message.
   */
  async relay(
    consultId: string,
    userId: string,
    body: { connectionId: string; message: ChatSignalPayload; to?: string[] | undefined },
  ): Promise<void> {
    const { connections, messages } = this.deps;
    const conn = await connections.getConnection(body.connectionId);
    if (!conn || conn.consultId !== consultId || conn.userId !== userId)
      throw forbidden('Messages can only be relayed from one of your own connections.');
    await messages.insertMessage(
      {
        id: body.message.id,
        consultId,
        senderId: conn.userId,
        senderName: conn.displayName,
        senderRole: conn.role,
        connectionId: conn.connectionId,
        text: body.message.text,
        sentAt: body.message.sentAt,
      },
      body.to
        ? await this.recipients(consultId, conn.connectionId, conn.userId, body.to)
        : undefined,
    );
  }

  /** Stores a chat signal from the webhook; anything else or anything malformed is ignored. */
  async ingest(consultId: string, signal: SignalSent): Promise<void> {
    const { connections, messages, logger } = this.deps;
    const type = signal.type ?? '';
    if ((type !== 'chat' && type !== 'signal:chat') || !signal.from || !signal.data) return;
    const conn = await connections.getConnection(signal.from);
    if (!conn || conn.consultId !== consultId) return;
    let payload: unknown;
    try {
      payload = JSON.parse(signal.data);
    } catch {
      return;
    }
    const parsed = S.ChatSignalPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      logger.warn('dropped a malformed chat signal', { consultId });
      return;
    }
    await messages.insertMessage(
      {
        id: parsed.data.id,
        consultId,
        senderId: conn.userId,
        senderName: conn.displayName,
        senderRole: conn.role,
        connectionId: conn.connectionId,
        text: parsed.data.text,
        sentAt: parsed.data.sentAt,
      },
      await this.recipients(consultId, conn.connectionId, conn.userId, signal.to),
    );
  }

  /** `undefined` for a broadcast, else the user ids the message went to (not the sender). */
  private async recipients(
    consultId: string,
    fromConnection: string,
    fromUser: string,
    to: readonly string[] | null | undefined,
  ): Promise<string[] | undefined> {
    const { connections } = this.deps;
    const delivered = new Set(Array.isArray(to) ? to : []);
    if (delivered.has(fromConnection)) {
      const present = await connections.activeConnectionIds(consultId);
      if (present.every((id) => delivered.has(id))) return undefined;
    }
    const users = await connections.usersOf(consultId, [...delivered]);
    return [...new Set(users.values())].filter((u) => u !== fromUser);
  }
}
