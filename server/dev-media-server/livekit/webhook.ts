/**
 * LiveKit's webhooks: each event becomes a protobuf-JSON `WebhookEvent`, POSTed with
 * `Content-Type: application/webhook+json` and `Authorization: <JWT>` (HS256 with the API secret,
 * `iss` the API key, `sha256` the base64 SHA-256 of the body), which livekit-server-sdk's
 * `WebhookReceiver` verifies. Delivery (order kept, retries with backoff, never blocking the caller)
 * is the OpenVidu mode's {@link WebhookSender}; only the encoding differs.
 */
import { createHash } from 'node:crypto';
import { WebhookEvent, type EgressInfo } from '@livekit/protocol';
import { SignJWT } from 'jose';
import type { Logger } from '../logger.js';
import type { TimerRegistry } from '../timers.js';
import { WebhookSender, type WebhookEncoder, type WebhookOptions } from '../webhook.js';
import { randomAlnum } from '../ids.js';
import type { LiveKitEvents, LiveKitRoomEvent } from './contract.js';
import type { EgressEventName } from './egress.js';

export type LiveKitWebhookEventName = LiveKitRoomEvent['event'] | EgressEventName;

/** Where and how the webhooks go: the OpenVidu mode's options, with LiveKit's event names. */
export type LiveKitWebhookOptions = WebhookOptions<LiveKitWebhookEventName>;

/** How long a webhook's signature is valid (LiveKit's own is 5 minutes). */
const SIGNATURE_TTL_SEC = 300;

/** The encoder signing each body as LiveKit does. */
export function signedWebhookEncoder(
  apiKey: string,
  apiSecret: string,
  now: () => number,
): WebhookEncoder {
  const key = new TextEncoder().encode(apiSecret);
  return async (body) => {
    const json = JSON.stringify(body);
    const sha256 = createHash('sha256').update(json).digest('base64');
    const nowSec = Math.floor(now() / 1000);
    const jwt = await new SignJWT({ sha256 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(apiKey)
      .setNotBefore(nowSec)
      .setExpirationTime(nowSec + SIGNATURE_TTL_SEC)
      .sign(key);
    return {
      body: json,
      headers: { 'Content-Type': 'application/webhook+json', Authorization: jwt },
    };
  };
}

/** The room events of the rooms and the egress events, as signed LiveKit webhooks. */
export class LiveKitWebhooks implements LiveKitEvents {
  private readonly sender: WebhookSender<LiveKitWebhookEventName>;

  constructor(
    options: LiveKitWebhookOptions,
    credentials: { apiKey: string; apiSecret: string },
    private readonly timers: TimerRegistry,
    logger: Logger,
    private readonly now: () => number,
  ) {
    this.sender = new WebhookSender(
      options,
      timers,
      logger,
      signedWebhookEncoder(credentials.apiKey, credentials.apiSecret, now),
    );
  }

  emit(event: LiveKitRoomEvent): void {
    this.send(
      new WebhookEvent({
        event: event.event,
        room: event.room,
        ...('participant' in event ? { participant: event.participant } : {}),
        ...('track' in event ? { track: event.track } : {}),
      }),
    );
  }

  emitEgress(event: EgressEventName, egressInfo: EgressInfo): void {
    this.send(new WebhookEvent({ event, egressInfo }));
  }

  private send(event: WebhookEvent): void {
    event.id = `EV_${randomAlnum(12)}`;
    event.createdAt = BigInt(Math.floor(this.now() / 1000));
    this.sender.send(event.event as LiveKitWebhookEventName, event.toJson() as object);
  }

  stats(): ReturnType<WebhookSender['stats']> {
    return this.sender.stats();
  }

  /** Resolves when every queued event has been delivered or given up (or after `timeoutMs`). */
  idle(timeoutMs: number): Promise<void> {
    return this.sender.idle(timeoutMs);
  }

  async close(drainMs?: number): Promise<void> {
    await this.sender.close(drainMs);
    this.timers.clearAll();
  }
}
