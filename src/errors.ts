/**
 * The one error class of ConsultKit. Async SDK methods reject only with a {@link ConsultError}; its
 * `code` is stable API and its `messageKey` is what the elements translate.
 * @packageDocumentation
 */

/**
 * Every error code the SDK produces. Codes are stable: adding one is a minor change, renaming one is a
 * breaking change.
 * @public
 */
export type ConsultErrorCode =
  /** The token server rejected the portal's credentials (HTTP 401). */
  | 'unauthorized'
  /** The user may not join this consultation, or may not perform this action (HTTP 403). */
  | 'forbidden'
  /** The consultation does not exist (HTTP 404). */
  | 'consult-not-found'
  /** The consultation is in a state that refuses the request (HTTP 409), e.g. it has ended. */
  | 'conflict'
  /** Too many requests (HTTP 429); retried with backoff before this surfaces. */
  | 'rate-limited'
  /** The token server failed (HTTP 5xx) after retries. */
  | 'server-error'
  /** The token server could not be reached (network error) after retries. */
  | 'network-error'
  /** A request took longer than its timeout. */
  | 'timeout'
  /** The token server answered with something that is not the documented contract. */
  | 'invalid-response'
  /** The provider denied admission from the waiting room, or removed the user from the consultation. */
  | 'admission-denied'
  /** The consultation has ended (HTTP 410): no token, admission or event stream any more. */
  | 'consult-ended'
  /** The user refused camera/microphone permission, or the page blocks it. */
  | 'permission-denied'
  /** No camera or microphone matches the request. */
  | 'device-not-found'
  /** The device exists but another application holds it. */
  | 'device-in-use'
  /** The requested constraints (resolution, deviceId) cannot be satisfied. */
  | 'overconstrained'
  /** Media capture needs a secure context (https or localhost). */
  | 'insecure-context'
  /** The browser lacks WebRTC or a needed API. */
  | 'unsupported-browser'
  /** The media server connection failed. */
  | 'connection-failed'
  /** The connection was lost and could not be recovered. */
  | 'connection-lost'
  /**
   * The consultation is full. Neither the SDK's own code nor the reference servers produce it; it is
   * kept for custom media backends.
   */
  | 'room-full'
  /** A chat message is longer than the limit (checked by the SDK before sending). */
  | 'message-too-long'
  /** A chat message could not be delivered. */
  | 'message-failed'
  /** Recording needs consent from every participant first. */
  | 'consent-required'
  /** A recording operation failed. */
  | 'recording-failed'
  /**
   * A guest invite cannot be redeemed: unknown, already used, expired or revoked (`details.reason`:
   * `not-found`, `used`, `expired`, `revoked`).
   */
  | 'invite-invalid'
  /** The method was called in a state that does not allow it (e.g. chat before joining). */
  | 'invalid-state'
  /** The operation was cancelled through its AbortSignal. */
  | 'aborted'
  /** Anything unexpected; `cause` carries the original. */
  | 'unknown';

/** Why a capture device failed; what {@link MediaDeviceError} carries. @public */
export type MediaDeviceFailure =
  | 'permission-denied'
  | 'device-not-found'
  | 'device-in-use'
  | 'overconstrained'
  | 'insecure-context'
  | 'unsupported-browser'
  | 'aborted'
  | 'unknown';

/** Codes that a later retry (or the user fixing something) can clear. */
const RECOVERABLE: ReadonlySet<ConsultErrorCode> = new Set<ConsultErrorCode>([
  'rate-limited',
  'server-error',
  'network-error',
  'timeout',
  'device-in-use',
  'device-not-found',
  'permission-denied',
  'connection-lost',
  'message-failed',
  'consent-required',
  'recording-failed',
]);

/** Options of {@link ConsultError}. @public */
export interface ConsultErrorOptions {
  cause?: unknown;
  recoverable?: boolean;
  /** HTTP status when the error came from the token server. */
  status?: number;
  /** Machine-readable details (e.g. the fields a server rejected). */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The single error type of the SDK.
 * @remarks `messageKey` is `error.<code>`; the elements look it up in their translations, so a portal
 * can show the error in the user's language. `message` is English, for developers and logs.
 * @public
 */
export class ConsultError extends Error {
  override readonly name: string = 'ConsultError';
  readonly code: ConsultErrorCode;
  readonly recoverable: boolean;
  readonly status: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ConsultErrorCode, message: string, options: ConsultErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.recoverable = options.recoverable ?? RECOVERABLE.has(code);
    this.status = options.status;
    this.details = options.details;
  }

  /** Translation key for this error: `error.<code>`. */
  get messageKey(): `error.${ConsultErrorCode}` {
    return `error.${this.code}`;
  }

  /** The rejection of an aborted operation. */
  static aborted(cause?: unknown): ConsultError {
    return new ConsultError('aborted', 'The operation was aborted.', { cause, recoverable: false });
  }

  /** Misuse that depends on runtime state, e.g. sending chat before joining. */
  static invalidState(message: string): ConsultError {
    return new ConsultError('invalid-state', message, { recoverable: false });
  }

  /** Wraps anything thrown into a ConsultError, keeping ConsultErrors as they are. */
  static from(error: unknown, fallback: ConsultErrorCode = 'unknown'): ConsultError {
    if (error instanceof ConsultError) return error;
    if (isAbortError(error)) return ConsultError.aborted(error);
    const message = error instanceof Error ? error.message : String(error);
    return new ConsultError(fallback, message || fallback, { cause: error });
  }
}

/**
 * A capture failure, with the device kind and the translated reason.
 * @public
 */
export class MediaDeviceError extends ConsultError {
  override readonly name: string = 'MediaDeviceError';
  readonly device: 'camera' | 'microphone' | 'camera-and-microphone' | 'screen' | 'speaker';
  readonly reason: MediaDeviceFailure;

  constructor(
    reason: MediaDeviceFailure,
    device: MediaDeviceError['device'],
    message: string,
    cause?: unknown,
  ) {
    super(reason === 'unknown' ? 'unknown' : reason, message, { cause });
    this.device = device;
    this.reason = reason;
  }
}

/** True for DOMException/Error objects named AbortError (fetch, signals) without touching DOM types. */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'AbortError'
  );
}

/** Throws `ConsultError('aborted')` when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw ConsultError.aborted(signal.reason);
}

/**
 * Translates a getUserMedia/getDisplayMedia failure into a {@link MediaDeviceError}. This is the only
 * place in the SDK that inspects DOMException names.
 * @public
 */
export function translateMediaError(
  error: unknown,
  device: MediaDeviceError['device'],
  isSecureContext = true,
): MediaDeviceError {
  const name =
    typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : '';
  const what = device.replace(/-/g, ' ');
  if (!isSecureContext) {
    return new MediaDeviceError(
      'insecure-context',
      device,
      'Camera and microphone need a secure page (https or localhost).',
      error,
    );
  }
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new MediaDeviceError(
        'permission-denied',
        device,
        `Permission to use the ${what} was denied.`,
        error,
      );
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return new MediaDeviceError('device-not-found', device, `No ${what} was found.`, error);
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      // Chrome and Firefox report a device held by another application as NotReadableError; some
      // drivers report a timed-out start as AbortError ("Timeout starting video source").
      return new MediaDeviceError(
        'device-in-use',
        device,
        `The ${what} is in use by another application.`,
        error,
      );
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return new MediaDeviceError(
        'overconstrained',
        device,
        `The selected ${what} cannot provide the requested settings.`,
        error,
      );
    case 'TypeError':
      return new MediaDeviceError(
        'unsupported-browser',
        device,
        `This browser cannot capture the ${what}.`,
        error,
      );
    default:
      return new MediaDeviceError('unknown', device, `The ${what} could not be started.`, error);
  }
}
