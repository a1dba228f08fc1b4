/**
 * The dev media server beyond loopback: no well-known secret, no credentialed CORS reflection, and an
 * origin allow-list for CORS and WebSocket upgrades.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { untilAborted } from '../shared/cli-io.js';
import { WebSocket } from 'ws';
import { parseDevServerArgs, runDevServerCli } from './cli.js';
import type { DevMediaServer } from './index.js';
import { isLoopbackHost } from './origins.js';
import { api, basicAuth, startTestServer, waitFor } from './test-support.js';

/** Status of a WebSocket upgrade to `/openvidu` sent with `origin` (101 when it opened). */
function upgradeStatus(server: DevMediaServer, origin: string | undefined): Promise<number> {
  const url = `${server.url.replace(/^http/, 'ws')}/openvidu?sessionId=x`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin !== undefined ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => reject(e));
  });
}

async function preflight(
  server: DevMediaServer,
  origin: string,
): Promise<{ allowOrigin: string | null; credentials: string | null }> {
  const res = await fetch(`${server.url}/openvidu/api/sessions`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });
  await res.arrayBuffer();
  return {
    allowOrigin: res.headers.get('access-control-allow-origin'),
    credentials: res.headers.get('access-control-allow-credentials'),
  };
}

void describe('dev media server off loopback', () => {
  void it('classifies bind hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'my.host'])
      assert.equal(isLoopbackHost(host), false, host);
  });

  void it('generates a random secret instead of MY_SECRET when bound to 0.0.0.0', async () => {
    const t = await startTestServer({ host: '0.0.0.0' });
    try {
      assert.notEqual(t.server.secret, 'MY_SECRET');
      assert.ok(t.server.secret.length >= 32, 'a long random secret');
      assert.equal(t.server.secretGenerated, true);
      const res = await fetch(`${t.server.url}/openvidu/api/sessions`, {
        headers: { Authorization: basicAuth('MY_SECRET') },
      });
      await res.arrayBuffer();
      assert.equal(res.status, 401, 'the well-known secret is not accepted');
      assert.equal((await api(t.server, 'GET', '/openvidu/api/sessions')).status, 200);
    } finally {
      await t.close();
    }
  });

  void it('refuses an explicit MY_SECRET off loopback, and keeps it as the loopback default', async () => {
    await assert.rejects(
      startTestServer({ host: '0.0.0.0', secret: 'MY_SECRET' }),
      /refuses the well-known secret MY_SECRET/,
    );
    const t = await startTestServer();
    try {
      assert.equal(t.server.secret, 'MY_SECRET');
      assert.equal(t.server.secretGenerated, false);
    } finally {
      await t.close();
    }
  });

  void it('does not reflect origins with credentials off loopback', async () => {
    const t = await startTestServer({ host: '0.0.0.0', secret: 'lan-secret-0123456789' });
    try {
      const cors = await preflight(t.server, 'http://evil.example');
      assert.notEqual(cors.allowOrigin, 'http://evil.example');
      assert.equal(cors.credentials, null);
    } finally {
      await t.close();
    }
  });

  void it('--public-ip prints a generated secret once and serves with it', async () => {
    const out: string[] = [];
    const abort = new AbortController();
    let info: { url: string; secret: string } | undefined;
    const done = runDevServerCli(['--port', '0', '--public-ip', '127.0.0.1', '--no-recording'], {
      env: {},
      out: (s) => out.push(s),
      err: () => undefined,
      untilStopped: untilAborted(abort.signal),
      onListening: (i) => (info = i),
    });
    try {
      await waitFor('listening', () => info !== undefined);
      const secret = (info as { secret: string }).secret;
      assert.notEqual(secret, 'MY_SECRET');
      const printed = out.join('');
      assert.match(printed, new RegExp(`Secret: +${secret} \\(generated for this run\\)`));
      assert.equal(printed.split(secret).length - 1, 1, 'printed once');
    } finally {
      abort.abort();
      assert.equal(await done, 0);
    }
  });
});

void describe('allowedOrigins', () => {
  void it('is read from --allowed-origins, then DEV_SERVER_ALLOWED_ORIGINS, and validated', () => {
    assert.deepEqual(
      parseDevServerArgs(['--allowed-origins', 'https://a.example, http://b.example:8080']).options
        .allowedOrigins,
      ['https://a.example', 'http://b.example:8080'],
    );
    assert.deepEqual(
      parseDevServerArgs([], { DEV_SERVER_ALLOWED_ORIGINS: 'https://env.example' }).options
        .allowedOrigins,
      ['https://env.example'],
    );
    assert.deepEqual(
      parseDevServerArgs(['--allowed-origins', 'https://flag.example'], {
        DEV_SERVER_ALLOWED_ORIGINS: 'https://env.example',
      }).options.allowedOrigins,
      ['https://flag.example'],
    );
    assert.throws(() => parseDevServerArgs(['--allowed-origins', 'ftp://x']), /http\(s\) origin/);
    assert.throws(() => parseDevServerArgs(['--allowed-origins', 'nope']), /not an origin/);
  });

  void it('answers CORS only for listed origins', async () => {
    const t = await startTestServer({ allowedOrigins: ['https://portal.example/'] });
    try {
      const good = await preflight(t.server, 'https://portal.example');
      assert.equal(good.allowOrigin, 'https://portal.example');
      const bad = await preflight(t.server, 'https://evil.example');
      assert.equal(bad.allowOrigin, null);
      assert.equal(bad.credentials, null);
    } finally {
      await t.close();
    }
  });

  void it('refuses WebSocket upgrades from other origins with 403 and accepts listed and origin-less ones', async () => {
    const t = await startTestServer({ allowedOrigins: ['https://portal.example'] });
    try {
      assert.equal(await upgradeStatus(t.server, 'https://evil.example'), 403);
      assert.equal(await upgradeStatus(t.server, 'https://portal.example'), 101);
      assert.equal(await upgradeStatus(t.server, undefined), 101);
      await waitFor('sockets closed', () => t.server.stats().sockets === 0);
    } finally {
      await t.close();
    }
  });
});
