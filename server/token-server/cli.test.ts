import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTokenServerCli } from './cli.js';
import { waitFor } from './test-support.js';

test('--help prints usage; bad flags exit 2', async () => {
  let out = '';
  let err = '';
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), env: {} };
  assert.equal(await runTokenServerCli(['--help'], io), 0);
  assert.match(out, /Usage: consult-kit token-server/);
  assert.equal(await runTokenServerCli(['--bogus'], io), 2);
  assert.equal(await runTokenServerCli(['--port', 'x'], io), 2);
  assert.match(err, /Invalid --port/);
});

test('starts on port 0 with demo login, serves /health, stops cleanly', async () => {
  let out = '';
  let stop!: () => void;
  const untilStopped = new Promise<void>((r) => (stop = r));
  const done = runTokenServerCli(['--port', '0', '--demo', '--log-level', 'warn'], {
    out: (t) => void (out += t),
    err: (t) => void (out += t),
    env: { OPENVIDU_URL: 'http://127.0.0.1:1', OPENVIDU_SECRET: 'cli-secret-abc' },
    untilStopped,
  });
  await waitFor('listening line', () => /listening on (http:\/\/\S+)/.test(out), 30_000);
  const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { openvidu: string }).openvidu, 'down');
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'patient', password: 'patient123' }),
  });
  assert.equal(login.status, 200);
  stop();
  assert.equal(await done, 0);
  assert.ok(!out.includes('cli-secret-abc'));
});

test('--database-url / DATABASE_URL: a bad setting fails at start with a clear message', async () => {
  let err = '';
  const io = (env: Record<string, string>) => ({
    out: () => undefined,
    err: (t: string) => void (err += t),
    env,
  });
  const args = ['--port', '0', '--demo', '--log-level', 'silent'];
  assert.equal(await runTokenServerCli([...args, '--database-url', 'mysql://db/x'], io({})), 1);
  assert.match(err, /DATABASE_URL must start with postgres:\/\//);
  err = '';
  assert.equal(await runTokenServerCli(args, io({ DATABASE_URL: 'not a url' })), 1);
  assert.match(err, /DATABASE_URL is not a URL/);
  err = '';
  assert.equal(
    await runTokenServerCli(args, io({ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_SIZE: 'x' })),
    1,
  );
  assert.match(err, /DATABASE_POOL_SIZE must be a whole number/);
  err = '';
  assert.equal(
    await runTokenServerCli(
      args,
      io({ DATABASE_URL: 'postgres://h/db', CONSULT_KIT_DATA_DIR: '/tmp/ck-unused' }),
    ),
    1,
  );
  assert.match(err, /choose one database/);
});
