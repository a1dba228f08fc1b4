/**
 * What every route module shares: the Hono environment, the OpenAPI response and body helpers, and
 * the validation hook that turns a zod failure into the contract's `invalid-request` error.
 */
import type { Context } from 'hono';
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import { ApiError } from '../errors.js';
import * as S from '../schemas.js';
import type { Services } from '../services/index.js';

/** Per-request variables, set by the first middleware: the client IP and the request id. */
export type Env = { Variables: { ip: string; requestId: string } };
export type Ctx = Context<Env>;
export type App = OpenAPIHono<Env>;

/** How route modules reach the services (built once the database is open). */
export interface RouteDeps {
  services(): Services;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errorResponses = {
  400: json(S.ErrorSchema, 'Invalid request (`invalid-request`, details.fields)'),
  401: json(S.ErrorSchema, 'Missing or invalid access token (`unauthorized`)'),
  403: json(S.ErrorSchema, 'Not allowed (`forbidden`)'),
  404: json(S.ErrorSchema, 'Unknown consultation or recording'),
  409: json(S.ErrorSchema, 'State conflict (`conflict`)'),
  410: json(S.ErrorSchema, 'The consultation has ended (`consult-ended`)'),
  503: json(S.ErrorSchema, 'OpenVidu unavailable (`openvidu-unavailable`)'),
};

export const security = [{ bearerAuth: [] }];

export const body = <T extends z.ZodType>(schema: T, required: boolean) => ({
  content: { 'application/json': { schema } },
  required,
});

/** zod issues → `details.fields` (first message per path). */
export function fieldsOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  const fields: Record<string, string> = {};
  for (const i of issues) {
    const key = i.path.map(String).join('.') || '(body)';
    fields[key] ??= i.message;
  }
  return fields;
}

/** The 400 body for a request that failed validation. */
export function invalidRequest(
  message: string,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
) {
  return new ApiError(400, 'invalid-request', message, {
    details: { fields: fieldsOf(issues) },
  }).body();
}

/** 429 with `Retry-After` when `wait` (seconds) is positive. */
export function throwIfLimited(wait: number, message: string): void {
  if (wait > 0)
    throw new ApiError(429, 'rate-limited', message, {
      headers: { 'Retry-After': String(wait) },
    });
}
