/**
 * LiveKit access tokens: a JWT signed HS256 with the API secret, `iss` = the API key, `sub` = the
 * identity, and the `video` grant saying which room it may join and what it may do there (LiveKit's
 * `VideoGrant`). Missing publish/subscribe/data grants mean "allowed", as in LiveKit.
 */
import { errors as joseErrors, jwtVerify } from 'jose';

export interface LiveKitCredentials {
  apiKey: string;
  apiSecret: string;
}

/** What a verified token lets its bearer do. */
export interface JoinGrant {
  identity: string;
  room: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  canUpdateOwnMetadata: boolean;
  hidden: boolean;
  recorder: boolean;
}

/** Why a token was refused; `status` is what `/rtc/validate` answers (401 like LiveKit). */
export class LiveKitAuthError extends Error {
  override readonly name = 'LiveKitAuthError';
  readonly status = 401;
}

interface VideoClaim {
  roomJoin?: unknown;
  room?: unknown;
  canPublish?: unknown;
  canSubscribe?: unknown;
  canPublishData?: unknown;
  canUpdateOwnMetadata?: unknown;
  hidden?: unknown;
  recorder?: unknown;
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') out[key] = entry;
  return out;
}

/** Verifies `token` and reads its join grant; throws {@link LiveKitAuthError} with a reason otherwise. */
export async function verifyJoinToken(
  token: string,
  credentials: LiveKitCredentials,
): Promise<JoinGrant> {
  if (!token) throw new LiveKitAuthError('no access token');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(credentials.apiSecret), {
      algorithms: ['HS256'],
      issuer: credentials.apiKey,
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new LiveKitAuthError('token is expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'iss')
      throw new LiveKitAuthError('unknown API key');
    throw new LiveKitAuthError('invalid token');
  }
  const video = (
    typeof payload['video'] === 'object' && payload['video'] !== null ? payload['video'] : {}
  ) as VideoClaim;
  const identity = typeof payload.sub === 'string' ? payload.sub : '';
  if (video.roomJoin !== true) throw new LiveKitAuthError('permissions denied: no roomJoin grant');
  if (typeof video.room !== 'string' || video.room === '')
    throw new LiveKitAuthError('permissions denied: no room in the grant');
  if (identity === '') throw new LiveKitAuthError('token has no identity (sub)');
  return {
    identity,
    room: video.room,
    name: typeof payload['name'] === 'string' ? payload['name'] : '',
    metadata: typeof payload['metadata'] === 'string' ? payload['metadata'] : '',
    attributes: stringRecord(payload['attributes']),
    canPublish: flag(video.canPublish, true),
    canSubscribe: flag(video.canSubscribe, true),
    canPublishData: flag(video.canPublishData, true),
    canUpdateOwnMetadata: flag(video.canUpdateOwnMetadata, false),
    hidden: flag(video.hidden, false),
    recorder: flag(video.recorder, false),
  };
}
