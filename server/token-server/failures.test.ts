/**
 * Failure injection with a stub `fetch` in front of OpenVidu: down, slow, 500, recovery without a
 * restart, and a streamed download (pull-based stub) proving the server never buffers a file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Stack } from './test-support.js';
import { OV_SECRET, doctor, startStack } from './test-support.js';

type Mode = 'down' | 'slow' | '500' | 'real';

describe('OpenVidu failures', () => {
  let s: Stack;
  let mode: Mode = 'down';
  let dr: string;
  before(async () => {
    dr = await doctor();
    let real: string | undefined;
    s = await startStack({
      openviduTimeoutMs: 300,
      waitingRoom: false,
      openviduUrl: 'http://stub.invalid',
      fetch: (input, init) => {
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        switch (mode) {
          case 'down':
            return Promise.reject(new TypeError('fetch failed'));
          case 'slow':
            return new Promise<Response>((_resolve, reject) => {
              init?.signal?.addEventListener('abort', () =>
                reject(init.signal?.reason ?? new Error('aborted')),
              );
            });
          case '500':
            return Promise.resolve(new Response('boom', { status: 500 }));
          case 'real':
            real ??= s.ov.server.url;
            return fetch(url.replace('http://stub.invalid', real), init);
        }
      },
    });
  });
  after(() => s.close());

  const token = () => s.call('POST', '/api/consults/fail-1/token', { token: dr, body: {} });

  test('down → 503 openvidu-unavailable; health says down', async () => {
    mode = 'down';
    const r = await token();
    assert.equal(r.status, 503);
    assert.equal((r.json as { error: { code: string } }).error.code, 'openvidu-unavailable');
    const h = await s.call('GET', '/health');
    assert.equal(h.status, 200);
    assert.equal((h.json as { openvidu: string }).openvidu, 'down');
  });

  test('slow → 503 within the configured timeout', async () => {
    mode = 'slow';
    const started = Date.now();
    const r = await token();
    assert.equal(r.status, 503);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  test('500 → 503', async () => {
    mode = '500';
    assert.equal((await token()).status, 503);
  });

  test('recovers without a restart once OpenVidu is back', async () => {
    mode = 'real';
    const r = await token();
    assert.equal(r.status, 200, r.text);
    mode = 'down';
    assert.equal((await token()).status, 503);
    mode = 'real';
    assert.equal((await token()).status, 200);
  });

  test('the secret never appears in answers or logs', async () => {
    const everything = s.logs.lines.join('\n');
    assert.ok(!everything.includes(OV_SECRET));
    assert.ok(!everything.includes(Buffer.from(`OPENVIDUAPP:${OV_SECRET}`).toString('base64')));
  });
});

describe('download streaming through a stub', () => {
  const CHUNK = 64 * 1024;
  const CHUNKS = 1024; // 64 MiB if fully read
  let produced = 0;
  let lastRange: string | null = null;
  let s: Stack;
  let dr: string;

  before(async () => {
    dr = await doctor();
    const recording = {
      id: 'dl-1',
      name: 'dl-1',
      sessionId: 'dl-1',
      outputMode: 'COMPOSED',
      createdAt: Date.now(),
      size: CHUNK * CHUNKS,
      duration: 60,
      url: 'http://stub.invalid/openvidu/recordings/dl-1/dl-1.mp4',
      hasAudio: true,
      hasVideo: true,
      status: 'ready',
    };
    s = await startStack({
      noMediaServer: true,
      waitingRoom: false,
      openviduUrl: 'http://stub.invalid',
      fetch: (input, init) => {
        const url = new URL(
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        );
        const method = init?.method ?? 'GET';
        if (url.pathname === '/openvidu/api/sessions' && method === 'POST')
          return Promise.resolve(new Response('', { status: 409 }));
        if (url.pathname === '/openvidu/api/sessions/dl-1/connection')
          return Promise.resolve(
            Response.json({
              connectionId: 'con_A',
              status: 'pending',
              token: 'ws://x?sessionId=dl-1&token=tok_A',
              role: 'MODERATOR',
              serverData: '',
              createdAt: 1,
              activeAt: null,
            }),
          );
        if (url.pathname === '/openvidu/api/recordings/dl-1')
          return Promise.resolve(Response.json(recording));
        if (url.pathname === '/openvidu/recordings/dl-1/dl-1.mp4') {
          lastRange = new Headers(init?.headers).get('range');
          let i = 0;
          const body = new ReadableStream<Uint8Array>(
            {
              pull(controller) {
                if (i >= CHUNKS) return controller.close();
                i++;
                produced++;
                controller.enqueue(new Uint8Array(CHUNK));
              },
            },
            { highWaterMark: 1 },
          );
          const status = lastRange ? 206 : 200;
          return Promise.resolve(
            new Response(body, {
              status,
              headers: {
                'Content-Type': 'video/mp4',
                'Content-Length': String(CHUNK * CHUNKS),
                ...(lastRange
                  ? { 'Content-Range': `bytes 0-${CHUNK * CHUNKS - 1}/${CHUNK * CHUNKS}` }
                  : {}),
              },
            }),
          );
        }
        return Promise.resolve(new Response('', { status: 404 }));
      },
    });
    // The recording becomes known through its consult (a token request creates the consult).
    const t = await s.call('POST', '/api/consults/dl-1/token', { token: dr, body: {} });
    assert.equal(t.status, 200, t.text);
  });
  after(() => s.close());

  test('streams without buffering, forwards Range, sets Content-Disposition', async () => {
    const controller = new AbortController();
    const res = await fetch(`${s.ts.url}/api/consults/dl-1/recordings/dl-1/download`, {
      headers: { Authorization: `Bearer ${dr}`, Range: 'bytes=0-' },
      signal: controller.signal,
    });
    assert.equal(res.status, 206);
    assert.equal(lastRange, 'bytes=0-');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="dl-1-dl-1.mp4"');
    assert.equal(res.headers.get('content-length'), String(CHUNK * CHUNKS));
    const reader = res.body?.getReader();
    assert.ok(reader);
    let read = 0;
    while (read < 4 * CHUNK) {
      const { value, done } = await reader.read();
      if (done) break;
      read += value.byteLength;
    }
    // Only what flowed through the pipes was produced: far from the 64 MiB file.
    assert.ok(produced < CHUNKS / 4, `produced ${produced} of ${CHUNKS} chunks`);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
});
