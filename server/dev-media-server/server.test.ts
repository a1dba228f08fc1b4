/**
 * Starting and stopping: defaults, the werift router wiring, the CLI, and log hygiene.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { untilAborted } from '../shared/cli-io.js';
import { CliUsageError, parseDevServerArgs, runDevServerCli } from './cli.js';
import { createJsonLogger, startDevMediaServer } from './index.js';
import { RpcClient, api, joinNew, startTestServer, waitFor } from './test-support.js';

void describe('startDevMediaServer', () => {
  void it('starts with the werift router well under a second on a random port and closes cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-dms-'));
    const started = Date.now();
    const server = await startDevMediaServer({ port: 0, recordingsDir: dir });
    const elapsed = Date.now() - started;
    try {
      assert.ok(elapsed < 1000, `started in ${elapsed} ms`);
      assert.match(server.url, /^http:\/\/localhost:\d+$/);
      assert.equal(server.secret, 'MY_SECRET');
      assert.notEqual(server.port, 4443);
      const st = server.stats();
      assert.deepEqual(
        {
          sessions: st.sessions,
          participants: st.participants,
          sockets: st.sockets,
          pcs: st.media.peerConnections,
        },
        { sessions: 0, participants: 0, sockets: 0, pcs: 0 },
      );
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
    await assert.rejects(fetch(`${server.url}/openvidu/api/sessions`));
  });

  void it('puts the announced address in the public URL and tokens when no publicUrl is given', async () => {
    const t = await startTestServer({ announcedIp: '127.0.0.1' });
    try {
      assert.equal(t.server.url, `http://127.0.0.1:${t.server.port}`);
      await api(t.server, 'POST', '/openvidu/api/sessions', { customSessionId: 'lan' });
      const conn = await api(t.server, 'POST', '/openvidu/api/sessions/lan/connection', {});
      assert.match(
        (conn.json as { token: string }).token,
        new RegExp(`^ws://127\\.0\\.0\\.1:${t.server.port}\\?sessionId=lan&token=tok_`),
      );
    } finally {
      await t.close();
    }
  });

  void it('builds tokens from publicUrl (https → wss, path dropped)', async () => {
    const t = await startTestServer({ publicUrl: 'https://demo.example:8443/some/path/' });
    try {
      assert.equal(t.server.url, 'https://demo.example:8443/some/path');
      const local = {
        url: `http://127.0.0.1:${t.server.port}`,
        secret: t.server.secret,
      } as Parameters<typeof api>[0];
      await api(local, 'POST', '/openvidu/api/sessions', { customSessionId: 'pub' });
      const conn = await api(local, 'POST', '/openvidu/api/sessions/pub/connection', {});
      const token = (conn.json as { token: string }).token;
      assert.match(token, /^wss:\/\/demo\.example:8443\?sessionId=pub&token=tok_/);
    } finally {
      await t.close();
    }
  });

  void it('evicts connected participants with openviduServerStopped on close()', async () => {
    const t = await startTestServer();
    await t.ov.createSession({ customSessionId: 'bye' });
    const a = await joinNew(t, 'bye');
    await t.close();
    await a.client.closed();
    assert.equal(a.client.notifications.at(-1)?.method, 'participantEvicted');
  });

  void it('never logs the secret, signal data or participant metadata', async () => {
    const lines: string[] = [];
    const t = await startTestServer({
      secret: 'TopSecret-123',
      logger: createJsonLogger('debug', (l) => lines.push(l)),
    });
    try {
      await t.ov.createSession({ customSessionId: 'quiet' });
      const a = await joinNew(t, 'quiet', {
        metadata: '{"name":"Patient Jane"}',
        data: 'mrn-4242',
      });
      await a.client.call('sendMessage', {
        message: JSON.stringify({ data: 'diagnosis-xyz', type: 'signal:chat' }),
      });
      await api(t.server, 'POST', '/openvidu/api/signal', {
        session: 'quiet',
        data: 'rest-signal-abc',
      });
      await a.client.expectError('sendMessage', { message: '{bad' }, 600);
      await a.client.call('leaveRoom', {});
      a.client.close();
      await waitFor('participant gone', () => t.server.stats().participants === 0);
    } finally {
      await t.close();
    }
    const text = lines.join('');
    assert.ok(lines.length > 3, 'something was logged');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line) as unknown, line);
    for (const secret of [
      'TopSecret-123',
      'Patient Jane',
      'mrn-4242',
      'diagnosis-xyz',
      'rest-signal-abc',
    ]) {
      assert.ok(!text.includes(secret), `log contains ${secret}`);
    }
  });
});

void describe('dev-server CLI', () => {
  void it('parses every option', () => {
    const { options, logLevel, help } = parseDevServerArgs([
      '--port',
      '0',
      '--secret',
      's3',
      '--public-url',
      'https://h.example:4443',
      '--public-ip',
      '192.168.1.20',
      '--ice-port-range',
      '40000-40100',
      '--ice-server',
      'stun:stun.example:3478',
      '--ice-server',
      'turn:turn.example:3478,user,pass',
      '--no-recording',
      '--webhook-url',
      'http://127.0.0.1:9/hook',
      '--webhook-header',
      'Authorization: Basic x',
      '--log-level',
      'warn',
    ]);
    assert.equal(help, false);
    assert.equal(logLevel, 'warn');
    assert.deepEqual(options, {
      port: 0,
      secret: 's3',
      announcedIp: '192.168.1.20',
      host: '0.0.0.0',
      publicUrl: 'https://h.example:4443',
      icePortRange: [40000, 40100],
      iceServers: [
        { urls: 'stun:stun.example:3478' },
        { urls: 'turn:turn.example:3478', username: 'user', credential: 'pass' },
      ],
      recording: false,
      webhook: { url: 'http://127.0.0.1:9/hook', headers: ['Authorization: Basic x'] },
    });
  });

  void it('rejects bad options', () => {
    for (const argv of [
      ['--port', 'x'],
      ['--ice-port-range', '5-1'],
      ['--ice-server', 'http://nope'],
      ['--public-url', 'ftp://x'],
      ['--bogus'],
      ['--log-level', 'loud'],
    ]) {
      assert.throws(() => parseDevServerArgs(argv), CliUsageError, argv.join(' '));
    }
  });

  void it('prints URL and secret, serves, and stops on abort', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-dms-'));
    const out: string[] = [];
    const err: string[] = [];
    const abort = new AbortController();
    let info: { url: string; secret: string } | undefined;
    const done = runDevServerCli(
      [
        '--port',
        '0',
        '--secret',
        'cli-secret',
        '--recordings-dir',
        dir,
        '--ice-server',
        'turn:127.0.0.1:3478,u,p',
        '--log-level',
        'error',
      ],
      {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
        untilStopped: untilAborted(abort.signal),
        onListening: (i) => (info = i),
      },
    );
    try {
      await waitFor('listening', () => info !== undefined);
      const url = (info as { url: string }).url;
      assert.match(out.join(''), new RegExp(`URL: +${url}`));
      assert.match(out.join(''), /Secret: +cli-secret/);
      const server = { url, secret: 'cli-secret' } as Parameters<typeof api>[0];
      await api(server, 'POST', '/openvidu/api/sessions', { customSessionId: 'cli' });
      const conn = await api(server, 'POST', '/openvidu/api/sessions/cli/connection', {});
      const client = await RpcClient.open(server, 'cli');
      const join = await client.call('joinRoom', {
        token: (conn.json as { token: string }).token,
        session: 'cli',
        metadata: '',
        platform: 'x',
      });
      assert.deepEqual(join['customIceServers'], [
        { url: 'turn:127.0.0.1:3478', username: 'u', credential: 'p' },
      ]);
      client.close();
    } finally {
      abort.abort();
      assert.equal(await done, 0);
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(err.join(''), '');
  });

  void it('exits 2 with usage on bad arguments and 0 on --help', async () => {
    const err: string[] = [];
    assert.equal(await runDevServerCli(['--port', 'nope'], { err: (s) => err.push(s) }), 2);
    assert.match(err.join(''), /Usage: consult-kit dev-server/);
    const out: string[] = [];
    assert.equal(await runDevServerCli(['--help'], { out: (s) => out.push(s) }), 0);
    assert.match(out.join(''), /--ice-port-range/);
  });
});
