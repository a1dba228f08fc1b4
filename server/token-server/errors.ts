/**
 * The one error type route handlers throw. `app.onError` turns it into the contract's error body
 * `{ error: { code, message, details? } }`; codes map onto the SDK's ConsultError codes.
 */
import type { ApiErrorCode, ErrorBody } from '../../src/contract.js';

/** Error codes this server answers with: the contract's `API_ERROR_CODES`. */
export type { ApiErrorCode };

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: ApiErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export const unauthorized = (message = 'Authentication required.'): ApiError =>
  new ApiError(401, 'unauthorized', message);
export const forbidden = (message = 'Not allowed.'): ApiError =>
  new ApiError(403, 'forbidden', message);
export const conflict = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(409, 'conflict', message, details ? { details } : {});
export const consultNotFound = (): ApiError =>
  new ApiError(404, 'consult-not-found', 'No such consultation.');
export const consultEnded = (): ApiError =>
  new ApiError(410, 'consult-ended', 'The consultation has ended.');
export const recordingNotFound = (): ApiError =>
  new ApiError(404, 'recording-not-found', 'No such recording in this consultation.');
export const openViduUnavailable = (): ApiError =>
  new ApiError(503, 'openvidu-unavailable', 'The media server is unavailable; try again shortly.');

export { errorMessage } from '../shared/errors.js';
