// A throwaway PostgreSQL cluster for tests: `initdb` in a temp folder, `postgres` on a free loopback
// port with trust authentication, removed by `stop()`. As root it runs as the `postgres` system user
// (initdb refuses root); otherwise as the current user. Uses Debian's packages
// (/usr/lib/postgresql/<version>/bin) or whatever `pg_config --bindir` names. Durability is off
// (fsync, synchronous_commit): the data lives only as long as the test run.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folder holding `initdb`, `pg_ctl` and `postgres`, or null. */
export function findPgBin() {
  const candidates = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    for (const v of readdirSync(base).sort((a, b) => Number(b) - Number(a)))
      candidates.push(join(base, v, 'bin'));
  }
  const cfg = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (cfg.status === 0) candidates.push(cfg.stdout.trim());
  return (
    candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl'))) ?? null
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function runAs(cmd, args, asPostgres) {
  const r = asPostgres
    ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/**
 * Starts a cluster; resolves to `{ url, port, dir, stop }` (`url` is the `postgres` superuser's
 * database, trust auth on 127.0.0.1). Throws an Error whose message says what is missing.
 */
export async function startPgCluster() {
  const bin = findPgBin();
  if (!bin)
    throw new Error(
      'PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql or pg_config). ' +
        'On Debian/Ubuntu: sudo apt-get install -y postgresql (npm test does this itself when run as root).',
    );
  const asPostgres = isRoot();
  if (asPostgres && spawnSync('id', ['-u', 'postgres']).status !== 0)
    throw new Error(
      'Running as root, but there is no `postgres` system user to run initdb as (initdb refuses root). ' +
        'Install Debian’s postgresql package, or run the tests as a normal user.',
    );
  const dir = mkdtempSync(join(tmpdir(), 'consult-kit-pg-'));
  const data = join(dir, 'data');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (asPostgres) {
      const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gr = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      chownSync(dir, Number(pw.stdout.trim()), Number(gr.stdout.trim()));
    }
    const init = runAs(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8'],
      asPostgres,
    );
    if (!init.ok) throw new Error(`initdb failed:\n${init.out.trim()}`);
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const opts = [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses='127.0.0.1'",
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=300',
        '-c shared_buffers=32MB',
      ].join(' ');
      const start = runAs(
        join(bin, 'pg_ctl'),
        ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'server.log'), '-o', opts],
        asPostgres,
      );
      if (start.ok) {
        let stopped = false;
        const stop = () => {
          if (stopped) return;
          stopped = true;
          runAs(join(bin, 'pg_ctl'), ['stop', '-w', '-m', 'immediate', '-D', data], asPostgres);
          cleanup();
        };
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop };
      }
      let log = '';
      try {
        log = readFileSync(join(dir, 'server.log'), 'utf8');
      } catch {
        // no log yet
      }
      lastError = `${start.out.trim()}\n${log.trim()}`;
      if (!/already in use|could not bind/i.test(lastError)) break;
    }
    throw new Error(`PostgreSQL did not start:\n${lastError}`);
  } catch (e) {
    cleanup();
    throw e;
  }
}

// `node scripts/pg-cluster.mjs`: start one, print its URL, stop on Ctrl-C (manual testing).
if (import.meta.url === `file://${process.argv[1]}`) {
  const c = await startPgCluster();
  console.log(c.url);
  const done = () => {
    c.stop();
    process.exit(0);
  };
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
  setInterval(() => undefined, 1 << 30);
}
