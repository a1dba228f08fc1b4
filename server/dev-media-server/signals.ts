/**
 * Signal validation shared by JSON-RPC `sendMessage` and REST `POST /openvidu/api/signal`: the
 * participant's message format and the resolution of `to` into active connections.
 */
import { RpcCode, RpcError } from './errors.js';
import { activeConnections } from './model.js';
import type { ConnectionRecord, SessionRecord } from './model.js';

export interface ParticipantSignal {
  to: string[];
  data: string | undefined;
  type: string | undefined;
}

/** Parses `sendMessage`'s `message` (a JSON string); throws OpenVidu's signal RpcErrors. */
export function parseParticipantSignal(message: string, maxSignalBytes: number): ParticipantSignal {
  if (Buffer.byteLength(message) > maxSignalBytes + 1024) {
    throw new RpcError(RpcCode.SIGNAL_FORMAT_INVALID, 'Signal message too large');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new RpcError(RpcCode.SIGNAL_FORMAT_INVALID, 'Signal message is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RpcError(RpcCode.SIGNAL_FORMAT_INVALID, 'Signal message must be a JSON object');
  }
  const m = parsed as Record<string, unknown>;
  const to = m['to'];
  if (
    to !== undefined &&
    to !== null &&
    !(Array.isArray(to) && to.every((t) => typeof t === 'string'))
  ) {
    throw new RpcError(RpcCode.SIGNAL_FORMAT_INVALID, "Signal 'to' must be an array of strings");
  }
  const data = m['data'];
  const type = m['type'];
  if (
    (data !== undefined && typeof data !== 'string') ||
    (type !== undefined && typeof type !== 'string')
  ) {
    throw new RpcError(RpcCode.SIGNAL_FORMAT_INVALID, "Signal 'data' and 'type' must be strings");
  }
  if (data !== undefined && Buffer.byteLength(data) > maxSignalBytes) {
    throw new RpcError(RpcCode.SIGNAL_FORMAT_INVALID, 'Signal data too large');
  }
  return { to: (to as string[] | null | undefined) ?? [], data, type };
}

/** Every active connection for an empty `to`; `undefined` when a recipient is unknown or gone. */
export function resolveRecipients(
  session: SessionRecord,
  to: string[],
): ConnectionRecord[] | undefined {
  if (to.length === 0) return activeConnections(session);
  const out: ConnectionRecord[] = [];
  for (const id of new Set(to)) {
    const c = session.connections.get(id);
    if (!c || c.status !== 'active') return undefined;
    out.push(c);
  }
  return out;
}
