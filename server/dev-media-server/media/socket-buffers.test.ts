/**
 * werift's ICE UDP sockets get larger receive/send buffers than the kernel default.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Message, StunProtocol } from 'werift';
import type { PeerConfig } from 'werift';
import { createRouterContext } from './router-context.js';
import { udpBufferRaiser } from './socket-buffers.js';
import { FakePublisher, SyntheticSource, routerOver, waitFor } from './test-support.js';

const REQUESTED = 1024 * 1024;
const logger = { debug: () => undefined, warn: () => undefined };

/** What the kernel grants at most (Linux reports twice the granted size). */
async function kernelMax(kind: 'rmem' | 'wmem'): Promise<number> {
  try {
    return Number((await readFile(`/proc/sys/net/core/${kind}_max`, 'utf8')).trim());
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

void describe('UDP socket buffers', () => {
  void it('raises the buffers of a werift STUN socket the first time it answers, and still answers', async () => {
    const protocol = new StunProtocol();
    await protocol.connectionMade(true);
    try {
      const socket = protocol.transport.socket;
      const defaults = { recv: socket.getRecvBufferSize(), send: socket.getSendBufferSize() };
      const filter = udpBufferRaiser(REQUESTED, logger);
      assert.equal(filter(new Message(1, 0), ['127.0.0.1', 9], protocol), true);
      const recv = socket.getRecvBufferSize();
      const send = socket.getSendBufferSize();
      console.log(`recv ${defaults.recv} → ${recv} bytes, send ${defaults.send} → ${send} bytes`);
      assert.ok(recv >= Math.min(REQUESTED, await kernelMax('rmem')), `recv buffer ${recv}`);
      assert.ok(send >= Math.min(REQUESTED, await kernelMax('wmem')), `send buffer ${send}`);
      assert.ok(recv > defaults.recv, 'larger than the default');
    } finally {
      await protocol.close();
    }
  });

  void describe('on a live publisher', () => {
    let source: SyntheticSource;
    before(async () => {
      source = new SyntheticSource();
      await source.start();
    });
    after(async () => {
      await source.stop();
    });

    void it('the socket that carries the media has the larger buffers', async () => {
      const ctx = createRouterContext({ udpSocketBufferBytes: REQUESTED, logger });
      const raise = ctx.baseConfig.iceFilterStunResponse;
      assert.ok(raise, 'the router installs the raiser by default');
      const seen: number[] = [];
      const spy: NonNullable<PeerConfig['iceFilterStunResponse']> = (message, addr, protocol) => {
        const answer = raise(message, addr, protocol);
        if (protocol instanceof StunProtocol)
          seen.push(protocol.transport.socket.getRecvBufferSize());
        return answer;
      };
      ctx.baseConfig.iceFilterStunResponse = spy;
      const router = routerOver(ctx);
      const publisher = new FakePublisher(router, 'str_CAM_BUF_con_B', source);
      try {
        await publisher.publish();
        await publisher.connected();
        await waitFor('a STUN check on the server socket', () => seen.length > 0);
        const max = await kernelMax('rmem');
        assert.ok(
          seen.every((size) => size >= Math.min(REQUESTED, max)),
          `buffers ${seen.join(', ')}`,
        );
      } finally {
        await publisher.close();
        ctx.publishers.get('str_CAM_BUF_con_B')?.close();
      }
      assert.equal(ctx.peers.size, 0);
    });
  });

  void it('is off with udpSocketBufferBytes: 0', () => {
    assert.equal(
      createRouterContext({ udpSocketBufferBytes: 0 }).baseConfig.iceFilterStunResponse,
      undefined,
    );
  });
});
