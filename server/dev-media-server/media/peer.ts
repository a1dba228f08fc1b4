/**
 * A `Peer` is one werift RTCPeerConnection and its negotiation: it answers a browser offer (waiting a
 * bounded time for the server's candidates, trickling the later ones) and takes the browser's
 * candidates. Like a mediasoup transport it is owned by what it carries: closing a peer closes the
 * publisher or subscriber that uses it, and closing those closes their peer.
 */
import { RTCPeerConnection } from 'werift';
import type { PeerConfig, RTCIceCandidate, RTCRtpTransceiver } from 'werift';
import { answerDtlsPassive, keepEarlyDtls } from './dtls.js';
import { sdpUfrag } from './ice.js';
import { linkImpairer } from './impaired-link.js';
import type { RouterContext } from './router-context.js';
import { errorMessage } from '../../shared/errors.js';
import type { IceCandidate, OnLocalCandidate } from './types.js';

function toWireCandidate(candidate: RTCIceCandidate): IceCandidate {
  return {
    candidate: candidate.candidate.startsWith('candidate:')
      ? candidate.candidate
      : `candidate:${candidate.candidate}`,
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
  };
}

function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}

/**
 * werift falls back to a public STUN server (stun.l.google.com) when its configuration names none,
 * and setLocalDescription waits for that query (a DNS lookup, then up to 5 s): every answer was late
 * by it, and the server's address went to a third party. Call between setting the remote offer (or
 * creating the offer) and setting the local description: without a configured STUN server, `pc`
 * gathers host candidates only.
 */
export function withoutDefaultStunServer(pc: RTCPeerConnection, config: Partial<PeerConfig>): void {
  const hasStun = (config.iceServers ?? []).some((server) =>
    (Array.isArray(server.urls) ? server.urls : [server.urls]).some((url) => /^stuns?:/i.test(url)),
  );
  if (hasStun) return;
  for (const transport of pc.iceTransports) transport.connection.stunServer = undefined;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  /** ice-ufrag of the browser offer this peer answers. */
  readonly remoteUfrag: string | undefined;
  private isClosed = false;
  private readonly closeListeners = new Set<() => void>();
  /** Network impairment of this peer's datagrams (a pass-through unless one is set). */
  private readonly impairer: ReturnType<typeof linkImpairer>;
  private stopKeepingDtls: () => void = () => undefined;

  constructor(
    private readonly ctx: RouterContext,
    readonly endpointId: string,
    config: Partial<PeerConfig>,
    private readonly sdpOffer: string,
  ) {
    this.pc = new RTCPeerConnection(config);
    this.remoteUfrag = sdpUfrag(sdpOffer);
    ctx.peers.add(this);
    this.impairer = linkImpairer(this.pc, () => ctx.impairmentFor(endpointId), ctx.random);
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.impairer.attach();
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Applies the browser's offer; rejects an offer without media sections. */
  async acceptOffer(): Promise<RTCRtpTransceiver[]> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: this.sdpOffer });
    withoutDefaultStunServer(this.pc, this.ctx.baseConfig);
    const transceivers = this.pc.getTransceivers();
    if (transceivers.length === 0) throw new Error('SDP offer has no media sections');
    return transceivers;
  }

  /**
   * setLocalDescription, then wait (bounded) for gathering so the answer carries the server's candidates.
   * Candidates found after the answer is returned are trickled through `onLocalCandidate` while
   * `isCurrent()` holds.
   */
  async answer(onLocalCandidate: OnLocalCandidate, isCurrent: () => boolean): Promise<string> {
    const { pc, ctx } = this;
    let answered = false;
    const trickle = pc.onIceCandidate.subscribe((candidate) => {
      if (!answered || !candidate || !candidate.candidate || !isCurrent()) return;
      try {
        onLocalCandidate(toWireCandidate(candidate));
      } catch (error) {
        ctx.logger.warn('onLocalCandidate threw', { error: errorMessage(error) });
      }
    });
    try {
      answerDtlsPassive(pc);
      this.stopKeepingDtls = keepEarlyDtls(pc);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForGathering(pc, ctx.gatherWaitMs);
      this.impairer.attach();
      const sdp = pc.localDescription?.sdp;
      if (!sdp) throw new Error('werift produced no local description');
      answered = true;
      return sdp;
    } catch (error) {
      trickle.unSubscribe();
      throw error;
    }
  }

  addCandidate(candidate: IceCandidate): void {
    this.pc
      .addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
      })
      .catch((error: unknown) =>
        this.ctx.logger.warn('remote ICE candidate rejected', {
          endpointId: this.endpointId,
          error: errorMessage(error),
        }),
      );
  }

  /** Calls `listener` each time the media path comes up. */
  onConnected(listener: () => void): void {
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') listener();
    });
  }

  /** Registers what this peer carries; it is closed with the peer. Returns an unregister function. */
  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.ctx.peers.delete(this);
    this.impairer.close();
    this.stopKeepingDtls();
    this.pc
      .close()
      .catch((error: unknown) =>
        this.ctx.logger.warn('peer connection close failed', { error: errorMessage(error) }),
      );
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener();
  }
}
