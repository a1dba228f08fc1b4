/**
 * Chat messages, as the signalSent webhook reported them.
 */
import type { StoredChatMessage } from '../../../src/contract.js';
import type { Db } from '../db.js';
import { role, str } from './rows.js';

export class MessageRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores a message once (by id). `recipients` are the user ids of a private message (the
   * sender reads it too); `undefined` for a broadcast, which every participant reads.
   */
  async insertMessage(
    m: StoredChatMessage,
    recipients?: readonly string[] | undefined,
  ): Promise<boolean> {
    const { rows } = await this.db.query(
      `insert into messages (consult_id, id, connection_id, sender_id, sender_name, sender_role, text, sent_at, recipients)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (consult_id, id) do nothing returning id`,
      [
        m.consultId,
        m.id,
        m.connectionId,
        m.senderId,
        m.senderName,
        m.senderRole,
        m.text,
        m.sentAt,
        recipients ? [...recipients] : null,
      ],
    );
    return rows.length > 0;
  }

  /** The latest `limit` messages `readerId` may read (broadcasts, theirs, those sent to them), oldest first. */
  async messages(consultId: string, readerId: string, limit: number): Promise<StoredChatMessage[]> {
    const { rows } = await this.db.query(
      `select * from (
         select * from messages where consult_id = $1
           and (recipients is null or sender_id = $3 or $3 = any(recipients))
         order by seq desc limit $2) m
       order by seq`,
      [consultId, limit, readerId],
    );
    return rows.map((r) => ({
      id: str(r['id']),
      consultId: str(r['consult_id']),
      senderId: str(r['sender_id']),
      senderName: str(r['sender_name']),
      senderRole: role(r['sender_role']),
      connectionId: str(r['connection_id']),
      text: str(r['text']),
      sentAt: str(r['sent_at']),
    }));
  }
}
