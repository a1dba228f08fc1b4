/**
 * What openvidu-browser fails with, made readable: {@link translateOpenViduError} turns its
 * rejections (an `OpenViduError` name, a JSON-RPC `{code, message}`, an `Error`, a string) into
 * {@link ConsultError} codes, the one place that reads them; `messageOf` and `field` dig into such
 * unknown values, and `exceptionConnectionId` finds whom an `exception` event is about.
 * @packageDocumentation
 */
import { ConsultError, isAbortError, type ConsultErrorCode } from '../errors.js';

/** A property of an unknown value (undefined unless it is an object). @internal */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The message of an Error, a JSON-RPC error object or a rejected string. @internal */
export function messageOf(error: unknown): string {
  const message = field(error, 'message');
  if (typeof message === 'string' && message) return message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * Translates what openvidu-browser rejects with (an `OpenViduError` with a `name`, a JSON-RPC error
 * `{code, message}`, an `Error` or a string) into a {@link ConsultError}.
 * @internal
 */
export function translateOpenViduError(error: unknown, fallback: ConsultErrorCode): ConsultError {
  if (error instanceof ConsultError) return error;
  if (isAbortError(error)) return ConsultError.aborted(error);
  const name = field(error, 'name');
  const rpcCode = field(error, 'code');
  const message = messageOf(error);
  const make = (code: ConsultErrorCode): ConsultError =>
    new ConsultError(code, message || code, {
      cause: error,
      details: {
        ...(typeof name === 'string' ? { openViduError: name } : {}),
        ...(typeof rpcCode === 'number' ? { rpcCode } : {}),
      },
    });
  switch (name) {
    case 'BROWSER_NOT_SUPPORTED':
    case 'SCREEN_SHARING_NOT_SUPPORTED':
      return make('unsupported-browser');
    case 'DEVICE_ACCESS_DENIED':
    case 'SCREEN_CAPTURE_DENIED':
      return make('permission-denied');
    case 'DEVICE_ALREADY_IN_USE':
      return make('device-in-use');
    case 'INPUT_VIDEO_DEVICE_NOT_FOUND':
    case 'INPUT_AUDIO_DEVICE_NOT_FOUND':
      return make('device-not-found');
    case 'OPENVIDU_PERMISSION_DENIED':
      return make('forbidden');
    case 'OPENVIDU_NOT_CONNECTED':
      return make('invalid-state');
    default:
      break;
  }
  if (typeof rpcCode === 'number') {
    // OpenVidu JSON-RPC error codes (docs/openvidu-protocol.md#error-codes).
    if (rpcCode === 401)
      return make(fallback === 'connection-failed' ? 'connection-failed' : 'forbidden');
    if (rpcCode === 601 || rpcCode === 600) return make('message-failed');
  }
  if (/timed out/i.test(message))
    return make(fallback === 'connection-failed' ? fallback : 'timeout');
  return make(fallback);
}

/** The connection an OpenVidu `exception` is about, if its origin names one. @internal */
export function exceptionConnectionId(origin: unknown): string | undefined {
  // origin is the Session, a Stream (has `connection`) or a Subscriber (has `stream.connection`).
  const direct = field(field(origin, 'connection'), 'connectionId');
  if (typeof direct === 'string' && field(origin, 'streamId') !== undefined) return direct;
  const viaStream = field(field(field(origin, 'stream'), 'connection'), 'connectionId');
  return typeof viaStream === 'string' ? viaStream : undefined;
}
