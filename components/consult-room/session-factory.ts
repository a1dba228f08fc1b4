/**
 * How `<consult-room>` builds its own session when it is given none.
 * @packageDocumentation
 */
import { warnOnce } from '../../src/index.js';
import {
  createConsultClient,
  type AuthProvider,
  type ConsultSessionLike,
  type FetchToken,
} from '../../src/index.js';

/** What the room passes to its session factory when it builds its own session. @public */
export interface ConsultSessionFactoryOptions {
  consultId: string;
  tokenUrl: string | undefined;
  auth: AuthProvider | undefined;
  fetchToken: FetchToken | undefined;
  displayName: string | undefined;
  /** False when the user chose to join without a camera (`audio-only`). */
  video: boolean;
}

/** Builds a session for `<consult-room>` when none is given. @public */
export type ConsultSessionFactory = (options: ConsultSessionFactoryOptions) => ConsultSessionLike;

/** The SDK's client, used when the room builds its own session. */
export const defaultSessionFactory: ConsultSessionFactory = (o) =>
  createConsultClient({
    ...(o.tokenUrl !== undefined ? { tokenUrl: o.tokenUrl } : {}),
    ...(o.fetchToken !== undefined ? { fetchToken: o.fetchToken } : {}),
    ...(o.auth !== undefined ? { auth: o.auth } : {}),
  }).createSession(o.consultId, {
    ...(o.displayName ? { displayName: o.displayName } : {}),
    video: o.video,
  });

/** The room's properties a session is built from. */
interface OwnSessionConfig {
  consultId: string;
  tokenUrl: string | undefined;
  auth: AuthProvider | undefined;
  fetchToken: FetchToken | undefined;
  audioOnly: boolean;
  sessionFactory: ConsultSessionFactory;
}

/**
 * Builds the room's own session, or returns undefined (with a development warning when the room
 * is half configured); a throwing factory is reported through `onError`.
 */
export function buildOwnSession(
  room: OwnSessionConfig,
  name: string,
  onError: (error: unknown) => void,
): ConsultSessionLike | undefined {
  if (!room.consultId || (!room.tokenUrl && !room.fetchToken)) {
    if (room.consultId || room.tokenUrl) {
      warnOnce(
        'room-missing-session',
        '<consult-room> needs `.session`, or `consult-id` with `token-url` (or `.fetchToken`).',
      );
    }
    return undefined;
  }
  try {
    return room.sessionFactory({
      consultId: room.consultId,
      tokenUrl: room.tokenUrl,
      auth: room.auth,
      fetchToken: room.fetchToken,
      displayName: name || undefined,
      video: !room.audioOnly,
    });
  } catch (error) {
    onError(error);
    return undefined;
  }
}
