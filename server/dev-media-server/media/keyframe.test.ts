/**
 * VP8 key frame detection and the video a subscriber is sent the moment it connects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import { HeldVideo, isVp8KeyframeStart, MAX_HELD_PACKETS } from './keyframe.js';
import { vp8Payload } from './test-support.js';

let sequenceNumber = 0;
function packet(start: boolean, key: boolean): RtpPacket {
  return new RtpPacket(
    new RtpHeader({ sequenceNumber: sequenceNumber++ }),
    vp8Payload({ start, key, pictureId: 300 }),
  );
}

void describe('isVp8KeyframeStart', () => {
  void it('reads the frame tag after a descriptor with a 15-bit picture id (as Chrome sends it)', () => {
    assert.equal(isVp8KeyframeStart(vp8Payload({ start: true, key: true, pictureId: 4000 })), true);
    assert.equal(
      isVp8KeyframeStart(vp8Payload({ start: true, key: false, pictureId: 4000 })),
      false,
    );
    assert.equal(
      isVp8KeyframeStart(vp8Payload({ start: false, key: true, pictureId: 4000 })),
      false,
    );
  });

  void it('handles the short descriptor, a 7-bit picture id, TL0PICIDX and TID bytes', () => {
    assert.equal(isVp8KeyframeStart(Buffer.from([0x10, 0x10])), true, 'no extension');
    assert.equal(isVp8KeyframeStart(Buffer.from([0x10, 0x11])), false, 'no extension, delta');
    assert.equal(isVp8KeyframeStart(Buffer.from([0x90, 0x80, 0x05, 0x10])), true, '7-bit id');
    // I + L + T: picture id (2 bytes), TL0PICIDX, TID/KEYIDX, then the frame tag.
    assert.equal(isVp8KeyframeStart(Buffer.from([0x90, 0xe0, 0x81, 0x02, 0x07, 0x20, 0x10])), true);
    assert.equal(
      isVp8KeyframeStart(Buffer.from([0x90, 0xe0, 0x81, 0x02, 0x07, 0x20, 0x11])),
      false,
    );
  });

  void it('is false for a start of a partition other than 0, and for an empty payload', () => {
    assert.equal(isVp8KeyframeStart(Buffer.from([0x11, 0x10])), false);
    assert.equal(isVp8KeyframeStart(Buffer.alloc(0)), false);
  });
});

void describe('HeldVideo', () => {
  void it('holds from the newest key frame start on, and hands it over once', () => {
    const held = new HeldVideo<RtpPacket>();
    held.hold(1, packet(true, false)); // delta before any key frame: useless alone
    held.hold(1, packet(false, false));
    const oldKey = packet(true, true);
    held.hold(1, oldKey);
    held.hold(1, packet(false, true));
    const newKey = packet(true, true);
    held.hold(1, newKey);
    const tail = packet(false, true);
    held.hold(1, tail);
    const delta = packet(true, false);
    held.hold(1, delta);
    const taken = held.take(1);
    assert.deepEqual(
      taken.map((p) => p.header.sequenceNumber),
      [newKey, tail, delta].map((p) => p.header.sequenceNumber),
    );
    assert.notEqual(taken[0], newKey, 'a copy: forwarding to other subscribers rewrites headers');
    assert.deepEqual(held.take(1), []);
  });

  void it('drops a picture of another publisher generation (a republish)', () => {
    const held = new HeldVideo<RtpPacket>();
    held.hold(1, packet(true, true));
    held.hold(2, packet(false, true));
    assert.deepEqual(held.take(2), []);
  });

  void it(`gives up past ${MAX_HELD_PACKETS} packets until the next key frame`, () => {
    const held = new HeldVideo<RtpPacket>();
    held.hold(1, packet(true, true));
    for (let i = 0; i < MAX_HELD_PACKETS + 10; i++) held.hold(1, packet(false, true));
    assert.deepEqual(held.take(1), []);
    for (let i = 0; i < MAX_HELD_PACKETS + 10; i++) held.hold(1, packet(false, true));
    held.hold(1, packet(true, true));
    assert.equal(held.take(1).length, 1);
  });
});
