/**
 * Request ids: an incoming `X-Request-Id` (from the load balancer or the portal) is kept when it is
 * sane, otherwise the server makes one; either way it is echoed in the answer's `X-Request-Id` and
 * carried by every log line about the request, so one request can be followed across a proxy, the
 * instances and the logs.
 */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** 1–128 characters of letters, digits and `-_.:`; anything else (spaces, quotes, control characters) is replaced. */
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the incoming header when sane, else a new UUID. */
export function requestIdOf(incoming: string | undefined | null): string {
  const given = incoming?.trim();
  return given && SANE.test(given) ? given : randomUUID();
}
