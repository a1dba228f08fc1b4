/**
 * Mute requests: a provider asks one participant to turn their microphone off. It travels as a
 * backend signal of type `mute-request` to that participant only; the receiver trusts the sender's
 * role from the connection's server data, never the payload, and only shows the request (the
 * participant mutes themselves). Nothing is ever muted remotely, and the token server does not
 * store these signals (it keeps `chat` signals only).
 * @packageDocumentation
 */
import { ConsultError } from './errors.js';
import type { Logger } from './logger.js';
import type { Participant, SessionState } from './types.js';

/** The signal type of a mute request (OpenVidu: `signal:mute-request`). @public */
export const MUTE_REQUEST_SIGNAL_TYPE = 'mute-request';

/** The payload of a `mute-request` signal. The sender comes from the connection, not from here. @public */
export interface MuteRequestSignalPayload {
  v: 1;
  /** Unique per request (a resend after a reconnect is shown once). */
  id: string;
  /** ISO 8601. */
  sentAt: string;
}

/** What a mute request needs from its session. @internal */
export interface MuteRequestContext {
  state(): SessionState;
  /** Throws `invalid-state` outside a call. */
  requireConnected(action: string): void;
  sendSignal(type: string, data: string, to: readonly string[]): Promise<void>;
  now(): number;
  randomId(): string;
}

/**
 * Sends a mute request to the participant with connection id `participantId` (providers only).
 * @throws TypeError when `participantId` is not a non-empty string.
 * @internal
 */
export async function sendMuteRequest(
  ctx: MuteRequestContext,
  participantId: string,
): Promise<void> {
  if (typeof participantId !== 'string' || participantId === '')
    throw new TypeError('participantId must be a non-empty string');
  ctx.requireConnected('request a mute');
  const state = ctx.state();
  if (state.role !== 'provider')
    throw new ConsultError('forbidden', 'Only providers may ask a participant to mute.');
  const target = state.participants.find((p) => p.id === participantId);
  if (!target || target.isLocal)
    throw ConsultError.invalidState(`No other participant has connection id ${participantId}.`);
  const payload: MuteRequestSignalPayload = {
    v: 1,
    id: ctx.randomId(),
    sentAt: new Date(ctx.now()).toISOString(),
  };
  try {
    await ctx.sendSignal(MUTE_REQUEST_SIGNAL_TYPE, JSON.stringify(payload), [participantId]);
  } catch (error) {
    throw ConsultError.from(error, 'connection-failed');
  }
}

/**
 * The provider who sent a valid mute request from connection `from`, or undefined (malformed, a
 * duplicate, or not from a provider in this call: dropped with a debug log).
 * @internal
 */
export function acceptMuteRequest(
  state: SessionState,
  data: string,
  from: string | undefined,
  seen: Set<string>,
  logger: Logger,
): Participant | undefined {
  let id: unknown;
  try {
    id = (JSON.parse(data) as Partial<MuteRequestSignalPayload> | null)?.id;
  } catch {
    id = undefined;
  }
  const sender = from === undefined ? undefined : state.participants.find((p) => p.id === from);
  if (typeof id !== 'string' || !sender || sender.isLocal || sender.role !== 'provider') {
    logger.debug('dropped a mute request', { from });
    return undefined;
  }
  if (seen.has(id)) return undefined;
  seen.add(id);
  return sender;
}
