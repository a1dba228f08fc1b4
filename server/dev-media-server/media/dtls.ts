/**
 * DTLS set-up of the router's peer connections, tuned for how fast a subscriber sees its first
 * frame (bench/join-to-first-frame.bench.ts): the server answers as the DTLS server, and keeps the
 * browser's first flight until werift is ready to read it. Also a guard for werift used as a DTLS
 * *client* (the tests' fake browsers and the benchmarks' load generator), which then talks to
 * this server's DTLS server.
 */
import type { RTCPeerConnection } from 'werift';

/**
 * Makes the server the DTLS server (`a=setup:passive` in the answer), so the browser, as DTLS client,
 * sends its ClientHello the moment its ICE pair is writable. werift's own default answers
 * `active` and then waits a fixed 100 ms after ICE before its first flight: that was most of the
 * gap between ICE connected and DTLS connected in join-to-first-frame. Call before createAnswer.
 */
export function answerDtlsPassive(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) transport.role = 'server';
}

/** Datagrams kept per transport while its DTLS server is not started yet (a flight is 1–4). */
const MAX_EARLY_DTLS_DATAGRAMS = 16;

/** RFC 7983 demultiplexing: a first byte in 20–63 is DTLS. */
function isDtlsDatagram(datagram: Buffer): boolean {
  const first = datagram[0];
  return first !== undefined && first >= 20 && first <= 63;
}

/**
 * Keeps the browser's first DTLS flight until werift's DTLS server is there to read it. werift starts
 * DTLS only once its own ICE agent saw the browser's nomination, but the browser sends its ClientHello
 * as soon as its side of the pair is writable, which is usually earlier: werift dropped it, and the
 * handshake waited for the browser's retransmission timer. The kept datagrams are delivered again
 * right after the DTLS transport starts (its server is created in the same tick as `connecting`).
 * Returns a function that stops keeping them.
 */
export function keepEarlyDtls(pc: RTCPeerConnection): () => void {
  const disposers: (() => void)[] = [];
  for (const transport of pc.dtlsTransports) {
    const ice = transport.iceTransport.connection;
    let early: Buffer[] = [];
    const data = ice.onData.subscribe((datagram) => {
      if (transport.state !== 'new' || !isDtlsDatagram(datagram)) return;
      if (early.length < MAX_EARLY_DTLS_DATAGRAMS) early.push(datagram);
    });
    const state = transport.onStateChange.subscribe((next) => {
      if (next === 'new') return;
      data.unSubscribe();
      state.unSubscribe();
      const kept = early;
      early = [];
      if (next === 'connecting' && kept.length > 0)
        queueMicrotask(() => {
          for (const datagram of kept) ice.onData.execute(datagram);
        });
    });
    disposers.push(() => {
      data.unSubscribe();
      state.unSubscribe();
      early = [];
    });
  }
  return () => {
    for (const dispose of disposers) dispose();
  };
}

/** DTLS handshake message type of a HelloVerifyRequest (RFC 6347 §4.3.2). */
const HELLO_VERIFY_REQUEST = 3;

interface WeriftDtlsClientInternals {
  dtls: { flight: number };
  onHandleHandshakes: (assembled: { msg_type: number }[]) => Promise<void>;
}

/**
 * For werift as a DTLS client: ignores a HelloVerifyRequest that arrives after the one it answered.
 * werift's DTLS server retransmits its HelloVerifyRequest when the client is slow to answer (a
 * loaded machine), and werift's client fails the whole handshake on the repeat where browsers
 * ignore it. Reaches into werift's socket (no public hook); without the expected shape it does
 * nothing. Call once the peer connection has its transports (after setLocalDescription of an offer).
 */
export function tolerateRepeatedHelloVerify(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) {
    const sub = transport.onStateChange.subscribe((state) => {
      if (state !== 'connecting') return;
      sub.unSubscribe();
      // The DTLS socket is created in the same tick, right after `connecting` is announced.
      queueMicrotask(() => {
        const socket = transport.dtls as unknown as Partial<WeriftDtlsClientInternals> | undefined;
        const original = socket?.onHandleHandshakes;
        if (!socket?.dtls || typeof original !== 'function') return;
        const state = socket.dtls;
        socket.onHandleHandshakes = (assembled) =>
          original.call(
            socket,
            state.flight >= 3
              ? assembled.filter((h) => h.msg_type !== HELLO_VERIFY_REQUEST)
              : assembled,
          );
      });
    });
  }
}
