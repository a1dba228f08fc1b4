/**
 * Larger UDP socket buffers for werift's ICE sockets. Under load the kernel's default (about 208 KB
 * on Linux) overflowed and dropped RTP before werift read it. werift creates its UDP sockets
 * itself and takes no socket option or factory; the one public place it hands one out is the
 * `iceFilterStunResponse` hook, called with the receiving protocol for every STUN binding request.
 * The browser's connectivity checks arrive there before any media, so the first request on each
 * socket sizes its buffers. The kernel caps the size at `net.core.rmem_max` / `wmem_max`.
 */
import { StunProtocol } from 'werift';
import type { PeerConfig } from 'werift';
import type { RouterLogger } from './router-context.js';
import { errorMessage } from '../../shared/errors.js';

/** Default receive and send buffer size asked for each ICE UDP socket. */
export const DEFAULT_UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

type StunFilter = NonNullable<PeerConfig['iceFilterStunResponse']>;

/**
 * A `iceFilterStunResponse` that answers every request (as werift does without one) and, the first
 * time it sees a UDP socket, asks for `bytes` of receive and send buffer on it.
 */
export function udpBufferRaiser(bytes: number, logger: RouterLogger): StunFilter {
  const sized = new WeakSet<object>();
  return (_message, _addr, protocol) => {
    if (!(protocol instanceof StunProtocol) || sized.has(protocol)) return true;
    sized.add(protocol);
    try {
      const socket = protocol.transport.socket;
      socket.setRecvBufferSize(bytes);
      socket.setSendBufferSize(bytes);
    } catch (error) {
      logger.warn('could not raise the UDP socket buffers', { error: errorMessage(error) });
    }
    return true;
  };
}
