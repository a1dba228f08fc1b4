/**
 * State the werift router's entities share: the lookup maps the router is a facade over, the
 * candidates waiting for an endpoint, the open peers (for stats), and the media configuration.
 */
import type { PeerConfig } from 'werift';
import { PendingCandidates } from './ice.js';
import type { Peer } from './peer.js';
import type { Publisher } from './publisher.js';
import { DEFAULT_UDP_SOCKET_BUFFER_BYTES, udpBufferRaiser } from './socket-buffers.js';
import type { Subscriber } from './subscriber.js';
import { seededRandom } from './impaired-link.js';
import type { LinkImpairment, MediaRouterOptions } from './types.js';

export type Kind = 'audio' | 'video';

export type RouterLogger = NonNullable<MediaRouterOptions['logger']>;

export interface RouterContext {
  readonly logger: RouterLogger;
  /** Browser candidates that arrived before their endpoint could take them. */
  readonly pending: PendingCandidates;
  /** Every open peer (one RTCPeerConnection each). */
  readonly peers: Set<Peer>;
  readonly publishers: Map<string, Publisher>;
  readonly subscribers: Map<string, Subscriber>;
  /** Peer configuration common to publishers and subscribers (ICE servers, ports, bundle). */
  readonly baseConfig: Partial<PeerConfig>;
  /** Bounded wait for ICE gathering before an answer is returned (the rest trickles). */
  readonly gatherWaitMs: number;
  /** Called when a publisher's sources change (`published`) or it goes away (`released`). */
  streamChanged(streamId: string, change: 'published' | 'released'): void;
  /** RTP packets forwarded to subscribers since start. */
  forwardedPackets: number;
  /** The impairment of an endpoint's link now (see {@link MediaRouterOptions.impairmentFor}). */
  impairmentFor(endpointId: string): LinkImpairment | undefined;
  /** Randomness of impairment loss and jitter (seeded when the options give a seed). */
  readonly random: () => number;
}

/** Host candidates are gathered in a few ms; STUN/TURN get longer, the rest trickles. */
const GATHER_WAIT_HOST_MS = 2000;
const GATHER_WAIT_STUN_MS = 3000;

const silentLogger: RouterLogger = { debug: () => undefined, warn: () => undefined };

/** A fresh context with empty maps; `streamChanged` feeds the recorder's registry. */
export function createRouterContext(
  options: MediaRouterOptions,
  streamChanged: RouterContext['streamChanged'] = () => undefined,
): RouterContext {
  const iceServers = options.iceServers ?? [];
  const logger = options.logger ?? silentLogger;
  const bufferBytes = options.udpSocketBufferBytes ?? DEFAULT_UDP_SOCKET_BUFFER_BYTES;
  return {
    logger,
    pending: new PendingCandidates(),
    peers: new Set(),
    publishers: new Map(),
    subscribers: new Map(),
    baseConfig: {
      // werift's default is Google STUN; a dev server stays on host candidates unless told otherwise.
      iceServers,
      icePortRange: options.icePortRange,
      iceAdditionalHostAddresses: options.announcedIp ? [options.announcedIp] : undefined,
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
      ...(bufferBytes > 0 ? { iceFilterStunResponse: udpBufferRaiser(bufferBytes, logger) } : {}),
    },
    gatherWaitMs: iceServers.length > 0 ? GATHER_WAIT_STUN_MS : GATHER_WAIT_HOST_MS,
    streamChanged,
    forwardedPackets: 0,
    impairmentFor: options.impairmentFor ?? (() => undefined),
    random:
      options.impairmentSeed !== undefined ? seededRandom(options.impairmentSeed) : Math.random,
  };
}
