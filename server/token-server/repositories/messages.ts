/**
 * Chat messages, as the signalSent webhook reported them.
 */
import type { StoredChatMessage } from '../../../src/contract.js';
import type { Db } from '../db.js';
import { role, str } from './rows.js';

export class MessageRepository {
  constructor(private readonly db: Db) {}

  async insertMessage(m: StoredChatMessage): Promise<boolean> {
    const { rows } = await this.db.query(
      `insert into messages (consult_id, id, connection_id, sender_id, sender_name, sender_role, text, sent_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (consult_id, id) do nothing returning id`,
      [m.consultId, m.id, m.connectionId, m.senderId, m.senderName, m.senderRole, m.text, m.sentAt],
    );
    return rows.length > 0;
  }

  async messages(consultId: string, limit: number): Promise<StoredChatMessage[]> {
    const { rows } = await this.db.query(
      `select * from (select * from messages where consult_id = $1 order by seq desc limit $2) m order by seq`,
      [consultId, limit],
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
