/**
 * Participants from backend connections. Identity comes from the connection's server data (JSON
 * {@link ConnectionServerData} set by the token server); junk falls back to "Guest"/guest.
 * @packageDocumentation
 */
import { isRole } from './api.js';
import type { BackendConnection } from './backend.js';
import type { ConnectionServerData } from './contract.js';
import type { Participant } from './types.js';

/** Display name used when server data carries none. @public */
export const DEFAULT_DISPLAY_NAME = 'Guest';

/**
 * Parses server data. Tolerates junk: non-JSON, wrong types, OpenVidu's `client%/%server` joined form.
 * @internal
 */
export function parseServerData(serverData: string): Partial<ConnectionServerData> {
  const candidates = [serverData, ...serverData.split('%/%').reverse()];
  for (const candidate of candidates) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const { userId, displayName, role } = value as Record<string, unknown>;
    return {
      ...(typeof userId === 'string' && userId !== '' ? { userId } : {}),
      ...(typeof displayName === 'string' && displayName.trim() !== ''
        ? { displayName: displayName.trim().slice(0, 100) }
        : {}),
      ...(isRole(role) ? { role } : {}),
    };
  }
  return {};
}

/** A remote participant from a backend connection. @internal */
export function remoteParticipant(connection: BackendConnection, now: number): Participant {
  const data = parseServerData(connection.serverData);
  return {
    id: connection.connectionId,
    ...(data.userId !== undefined ? { userId: data.userId } : {}),
    displayName: data.displayName ?? DEFAULT_DISPLAY_NAME,
    role: data.role ?? 'guest',
    isLocal: false,
    audioEnabled: false,
    videoEnabled: false,
    screenSharing: false,
    speaking: false,
    quality: { level: 'unknown' },
    joinedAt: connection.createdAt > 0 ? connection.createdAt : now,
  };
}

/** Replaces one participant (others keep identity); returns the same list when nothing changed. @internal */
export function patchParticipant(
  participants: readonly Participant[],
  id: string,
  patch: (p: Participant) => Participant,
): readonly Participant[] {
  let changed = false;
  const next = participants.map((p) => {
    if (p.id !== id) return p;
    const updated = patch(p);
    if (updated !== p) changed = true;
    return updated;
  });
  return changed ? next : participants;
}

/** Applies `patch` only if some field differs (keeps identity otherwise). @internal */
export function withFields(p: Participant, patch: Partial<Participant>): Participant {
  const keys = Object.keys(patch) as Array<keyof Participant>;
  if (keys.every((k) => p[k] === patch[k])) return p;
  const next: Participant = { ...p, ...patch };
  for (const k of keys) if (patch[k] === undefined) delete (next as Partial<Participant>)[k];
  return next;
}
