/**
 * Coalescing rate limiter for keyframe requests (PLI) sent to one publisher.
 *
 * A request inside the quiet interval is not dropped: one trailing request is scheduled for the end of the
 * interval, so a subscriber that connects right after another still gets its keyframe, while a storm of
 * subscriber PLIs/FIRs turns into at most one upstream PLI per interval.
 */
export class KeyframeLimiter {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Upstream PLIs actually sent. */
  sent = 0;

  constructor(
    private readonly send: () => boolean,
    private readonly minIntervalMs: number,
  ) {}

  request(): void {
    if (this.closed || this.timer) return;
    const wait = this.lastSentAt + this.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (this.closed) return;
    // Only a PLI that really left counts against the interval (no video source yet → nothing sent).
    if (this.send()) {
      this.lastSentAt = Date.now();
      this.sent++;
    }
  }
}

/**
 * True when `payload` (a VP8 RTP payload, RFC 7741) is the first packet of a key frame: start of
 * partition 0 (S = 1, PID = 0) and the VP8 frame tag's P bit clear.
 */
export function isVp8KeyframeStart(payload: Buffer): boolean {
  const first = payload[0];
  if (first === undefined || (first & 0x10) === 0 || (first & 0x0f) !== 0) return false;
  let offset = 1;
  if (first & 0x80) {
    // Extended control bits: I (picture id, 7 or 15 bits), L (TL0PICIDX), T/K (TID/KEYIDX byte).
    const extension = payload[1] ?? 0;
    offset = 2;
    if (extension & 0x80) offset += (payload[2] ?? 0) & 0x80 ? 2 : 1;
    if (extension & 0x40) offset += 1;
    if (extension & 0x30) offset += 1;
  }
  const frameTag = payload[offset];
  return frameTag !== undefined && (frameTag & 0x01) === 0;
}

/** Most video packets held for one subscriber before its media path is up (~5 s of 640x480). */
export const MAX_HELD_PACKETS = 512;

/**
 * The video a subscriber misses while its peer connection is still connecting: every packet from the
 * newest key frame start on, so that the moment it connects it can be sent a decodable picture instead
 * of waiting for a key frame requested then. Over {@link MAX_HELD_PACKETS} it gives up until the next
 * key frame.
 */
export class HeldVideo<P extends { payload: Buffer; clone(): P }> {
  private packets: P[] = [];
  private generation: number | undefined;

  /** Keeps a copy of `packet` (of publisher generation `generation`) when it belongs to a held picture. */
  hold(generation: number, packet: P): void {
    if (isVp8KeyframeStart(packet.payload)) {
      this.packets = [];
      this.generation = generation;
    } else if (this.generation !== generation || this.packets.length === 0) {
      return;
    }
    if (this.packets.length >= MAX_HELD_PACKETS) {
      this.packets = [];
      return;
    }
    this.packets.push(packet.clone());
  }

  /** Hands over (and forgets) the held packets of `generation`, oldest first. */
  take(generation: number): P[] {
    const packets = this.generation === generation ? this.packets : [];
    this.packets = [];
    this.generation = undefined;
    return packets;
  }
}
