/**
 * The two error kinds the signalling plane raises: {@link RpcError} becomes a JSON-RPC `error` object,
 * {@link HttpError} becomes a REST status (with OpenVidu's error JSON or an empty body).
 */

/** OpenVidu JSON-RPC error codes (openvidu-client `OpenViduException.Code`) plus the transport ones. */
export const RpcCode = {
  /** JSON-RPC 2.0: the frame is not JSON. OpenVidu itself stays silent; we answer. */
  PARSE_ERROR: -32700,
  /** JSON-RPC 2.0: not a valid request object (or too large). */
  INVALID_REQUEST: -32600,
  /** JSON-RPC 2.0: unknown method. OpenVidu itself stays silent (client times out); we answer. */
  METHOD_NOT_FOUND: -32601,
  /** Kurento's code for a handler exception, e.g. a missing required parameter. */
  HANDLER_EXCEPTION: -1,
  GENERIC: 999,
  WRONG_OPENVIDU_EDITION: 997,
  TRANSPORT_ERROR: 803,
  MEDIA_SDP: 302,
  MEDIA_GENERIC: 301,
  ROOM_CLOSED: 203,
  ROOM_NOT_FOUND: 202,
  USER_ALREADY_STREAMING: 106,
  USER_NOT_STREAMING: 105,
  EXISTING_USER_IN_ROOM: 104,
  USER_NOT_FOUND: 102,
  USER_UNAUTHORIZED: 401,
  EXISTING_FILTER_ALREADY_APPLIED: 405,
  FILTER_NOT_APPLIED: 406,
  USER_METADATA_FORMAT_INVALID: 500,
  SIGNAL_FORMAT_INVALID: 600,
  SIGNAL_TO_INVALID: 601,
  /** Kurento transport: `connect` for an RPC session that no longer exists. */
  RECONNECTION_ERROR: 40007,
} as const;

export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  static missingParam(param: string, method: string): RpcError {
    return new RpcError(
      RpcCode.HANDLER_EXCEPTION,
      `Request element '${param}' is missing in RPC method '${method}'`,
    );
  }
}

/** A REST failure. `body: 'empty'` answers with no body (OpenVidu does that for most 404/409/406). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message = '',
    readonly body: 'json' | 'empty' | 'text' = 'empty',
  ) {
    super(message);
  }

  /** 400 with OpenVidu's `{timestamp,status,error,message,path}` body. */
  static badRequest(message: string): HttpError {
    return new HttpError(400, message, 'json');
  }
}
