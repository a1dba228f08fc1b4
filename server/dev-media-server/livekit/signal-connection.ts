/**
 * One LiveKit signalling WebSocket: binary protobuf frames (`SignalRequest` in, `SignalResponse` out;
 * JSON text frames are accepted too, as LiveKit does), answers to pings, and a watchdog that closes
 * the socket when the client stops pinging for the ping timeout it was told in the JoinResponse.
 */
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import type { WebSocket, RawData } from 'ws';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../logger.js';

/** A `SignalResponse` message as a (partial) plain object or message instance. */
export type SignalMessage = NonNullable<
  NonNullable<ConstructorParameters<typeof SignalResponse>[0]>['message']
>;
export type SignalRequestMessage = NonNullable<SignalRequest['message']>;

/** Decodes one frame: binary protobuf, or LiveKit's JSON form in a text frame. */
export function decodeSignalRequest(data: RawData, isBinary: boolean): SignalRequest {
  const bytes = Array.isArray(data)
    ? Buffer.concat(data)
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : data;
  if (isBinary) return SignalRequest.fromBinary(new Uint8Array(bytes));
  return SignalRequest.fromJson(JSON.parse(bytes.toString('utf8')) as never, {
    ignoreUnknownFields: true,
  });
}

export function encodeSignalResponse(message: SignalMessage): Uint8Array {
  return new SignalResponse({ message }).toBinary();
}

export interface SignalConnectionHandlers {
  onRequest(message: SignalRequestMessage): void;
  /** The socket is gone (closed by either side, or the ping watchdog fired). */
  onClose(): void;
}

export class SignalConnection {
  private closed = false;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** Frames received (tests). */
  received = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly handlers: SignalConnectionHandlers,
    private readonly logger: Logger,
    private readonly pingTimeoutMs: number,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onSocketClosed());
    ws.on('error', (error) =>
      logger.debug('livekit signal socket error', { error: errorMessage(error) }),
    );
    this.armWatchdog();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(message: SignalMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeSignalResponse(message), { binary: true });
  }

  /** Closes the socket (after the frames already queued). */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    this.onSocketClosed();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    let request: SignalRequest;
    try {
      request = decodeSignalRequest(data, isBinary);
    } catch (error) {
      this.logger.warn('livekit signal frame could not be decoded', { error: errorMessage(error) });
      this.close(1007, 'undecodable signal frame');
      return;
    }
    this.received++;
    const message = request.message;
    if (message.case === undefined) return;
    if (message.case === 'ping') {
      this.armWatchdog();
      this.send({ case: 'pong', value: BigInt(Date.now()) });
      return;
    }
    if (message.case === 'pingReq') {
      this.armWatchdog();
      this.send({
        case: 'pongResp',
        value: { lastPingTimestamp: message.value.timestamp, timestamp: BigInt(Date.now()) },
      });
      return;
    }
    try {
      this.handlers.onRequest(message);
    } catch (error) {
      this.logger.warn('livekit signal request failed', {
        request: message.case,
        error: errorMessage(error),
      });
    }
  }

  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.logger.info('livekit signal socket closed: no ping within the ping timeout', {});
      this.close(1000, 'ping timeout');
    }, this.pingTimeoutMs);
    this.watchdog.unref();
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.handlers.onClose();
  }
}
