/**
 * Chat history. Messages travel peer to peer as OpenVidu signals; OpenVidu reports each one to
 * the `signalSent` webhook, and this service keeps the chat ones, attributed to the connection's
 * user (never to what the payload claims), for participants to read back.
 */
import type { StoredChatMessage } from '../../../src/contract.js';
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
    return messages.messages(consultId, limit);
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
    await messages.insertMessage({
      id: parsed.data.id,
      consultId,
      senderId: conn.userId,
      senderName: conn.displayName,
      senderRole: conn.role,
      connectionId: conn.connectionId,
      text: parsed.data.text,
      sentAt: parsed.data.sentAt,
    });
  }
}
