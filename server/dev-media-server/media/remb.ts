/**
 * Bandwidth feedback to publishers. The dev server does not estimate bandwidth: it answers
 * publishers without transport-wide congestion control (its receive timestamps come from a busy
 * Node event loop, which a delay-based estimator reads as congestion and throttles video to tens of
 * kbit/s on a loopback link) and sends REMB once a second instead, with {@link PUBLISHER_REMB_BPS}
 * or the impairment's bandwidth cap. The browser's loss-based controller still reacts to loss.
 */
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } from 'werift';
import type { RTCRtpReceiver } from 'werift';

/** What a clean link to the dev server carries for one publisher (bit/s). */
export const PUBLISHER_REMB_BPS = 2_500_000;
export const REMB_INTERVAL_MS = 1000;

/** REMB's bitrate is an 18-bit mantissa and a 6-bit exponent. */
export function rembFields(bps: number): { brExp: number; brMantissa: number } {
  let mantissa = Math.max(0, Math.floor(bps));
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return { brExp: exp, brMantissa: mantissa };
}

/** Sends one REMB for `ssrc` through `receiver`'s transport. */
export function sendRemb(receiver: RTCRtpReceiver, ssrc: number, bps: number): Promise<void> {
  const packet = new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: 1,
      ...rembFields(bps),
      ssrcFeedbacks: [ssrc],
    }),
  });
  return receiver.dtlsTransport.sendRtcp([packet]).then(() => undefined);
}
