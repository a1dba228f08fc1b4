/**
 * The one werift media configuration of the dev media server, for both protocols (OpenVidu's
 * media/publisher.ts and media/subscriber.ts, LiveKit's livekit/transports.ts): VP8 and Opus only,
 * forwarded without transcoding. A receiving peer asks for retransmissions and key frames and sends
 * REMB (not transport-cc: see remb.ts); a sending peer answers NACK, PLI and FIR. Each call builds
 * fresh objects: werift assigns payload types and extension ids onto the ones it is given.
 */
import {
  useAbsSendTime,
  useFIR,
  useNACK,
  useOPUS,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  useVP8,
} from 'werift';
import type { PeerConfig } from 'werift';

export type MediaConfig = Pick<PeerConfig, 'codecs' | 'headerExtensions'>;

/**
 * For a peer that receives a browser's media. `simulcast` adds the rid header extensions
 * (`rtp-stream-id`, `repaired-rtp-stream-id`) that tell simulcast layers apart.
 */
export function receivingMediaConfig(options: { simulcast?: boolean } = {}): MediaConfig {
  return {
    codecs: {
      video: [useVP8({ rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()] })],
      audio: [useOPUS()],
    },
    headerExtensions: {
      video: [
        useSdesMid(),
        useAbsSendTime(),
        ...(options.simulcast ? [useSdesRTPStreamId(), useRepairedRtpStreamId()] : []),
      ],
      audio: [useSdesMid()],
    },
  };
}

/** For a peer that sends forwarded media to a browser. */
export function sendingMediaConfig(): MediaConfig {
  return {
    codecs: {
      video: [useVP8({ rtcpFeedback: [useNACK(), usePLI(), useFIR()] })],
      audio: [useOPUS()],
    },
    headerExtensions: {
      video: [useSdesMid(), useAbsSendTime()],
      audio: [useSdesMid()],
    },
  };
}
