/**
 * What publishers and subscribers share: an endpoint id the signalling side addresses, the current
 * {@link Peer} (replaced on renegotiation), and the rules for delivering the browser's candidates to
 * the right peer connection.
 */
import { candidateUfrag } from './ice.js';
import type { Peer } from './peer.js';
import type { RouterContext } from './router-context.js';
import type { IceCandidate } from './types.js';

export abstract class Endpoint {
  /** Undefined until the first negotiation committed. */
  protected peer: Peer | undefined;
  /** False until a negotiation committed. */
  protected ready = false;
  /** A replacement peer is being negotiated (reconnectStream): ufrag-less candidates wait for it. */
  protected renegotiating = false;
  protected isClosed = false;
  private detachPeer: (() => void) | undefined;

  protected constructor(
    protected readonly ctx: RouterContext,
    readonly endpointId: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** Releases this endpoint and everything it holds (its peer, and for a publisher its subscribers). */
  abstract close(): void;

  /**
   * A browser candidate: applied now when it belongs to the committed peer connection (same ufrag, or
   * no ufrag and no renegotiation under way), buffered otherwise.
   */
  addIceCandidate(candidate: IceCandidate): void {
    const ufrag = candidateUfrag(candidate.candidate);
    const deliverable =
      this.ready &&
      !this.isClosed &&
      (ufrag !== undefined ? ufrag === this.peer?.remoteUfrag : !this.renegotiating);
    if (deliverable) this.applyCandidate(candidate);
    else this.ctx.pending.add(this.endpointId, candidate);
  }

  /** Makes `peer` current; the previous one (returned) no longer closes this endpoint. */
  protected adoptPeer(peer: Peer): Peer | undefined {
    const old = this.peer;
    this.detachPeer?.();
    this.peer = peer;
    this.detachPeer = peer.onClose(() => this.close());
    this.ready = true;
    this.renegotiating = false;
    return old;
  }

  protected flushPending(): void {
    for (const candidate of this.ctx.pending.take(this.endpointId, this.peer?.remoteUfrag))
      this.applyCandidate(candidate);
  }

  /** Closes the current peer without cascading back into this endpoint. */
  protected closePeer(): void {
    this.detachPeer?.();
    this.detachPeer = undefined;
    this.peer?.close();
  }

  private applyCandidate(candidate: IceCandidate): void {
    if (this.peer) this.peer.addCandidate(candidate);
    else this.ctx.pending.add(this.endpointId, candidate);
  }
}
