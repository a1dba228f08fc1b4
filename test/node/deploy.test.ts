/**
 * The container files cannot run here (no Docker), so this checks what can be checked:
 *
 * - Dockerfile: the runtime stage runs as a non-root user, has a HEALTHCHECK and installs with
 *   `npm ci --omit=dev`; its install runs in a temp folder (from the npm cache) on the files it
 *   copies, and the result starts: the package's server (bundled with esbuild in place of the
 *   package build, which is too slow for this test) runs the image's CMD with the image's ENV,
 *   answers `/health`, `/ready` (503: no OpenVidu), `/metrics` (prom-client came from that
 *   install), and the HEALTHCHECK command exits 0.
 * - deploy/compose.yaml: parses (a plain YAML subset), has the two token servers, PostgreSQL,
 *   OpenVidu 2.32 and coturn, names only environment variables docs/token-server.md documents for
 *   the token servers, and every `${VAR}` it uses is in deploy/.env.example.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseYamlSubset } from './support/yaml-subset.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions (no line continuations are used). */
function stages(text: string): Instruction[][] {
  const out: Instruction[][] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    assert.ok(!t.endsWith('\\'), 'no line continuations (keeps this check simple)');
    const m = /^([A-Z]+)\s+(.*)$/.exec(t);
    assert.ok(m?.[1] && m[2] !== undefined, `not an instruction: ${t}`);
    if (m[1] === 'FROM') out.push([]);
    out.at(-1)?.push({ op: m[1], args: m[2] });
  }
  return out;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, env, timeout: 300_000, maxBuffer: 32 << 20 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          out: `${stdout}${stderr}`,
        }),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Dockerfile', () => {
  const all = stages(read('Dockerfile'));
  const runtime = all.at(-1) ?? [];
  const one = (op: string): Instruction => {
    const found = runtime.filter((i) => i.op === op);
    assert.equal(found.length, 1, `exactly one ${op} in the runtime stage`);
    return found[0] as Instruction;
  };

  test('runtime stage: non-root user, healthcheck on /health, npm ci --omit=dev, exec-form CMD', () => {
    const user = one('USER').args.trim();
    assert.ok(user !== 'root' && user !== '0', `USER ${user}`);
    const health = one('HEALTHCHECK').args;
    assert.match(health, /CMD \[/);
    assert.match(health, /\/health/);
    assert.ok(
      runtime.some((i) => i.op === 'RUN' && /\bnpm ci --omit=dev\b/.test(i.args)),
      'RUN npm ci --omit=dev',
    );
    assert.ok(Array.isArray(JSON.parse(one('CMD').args)));
  });

  test("deploy/token-server pins the same versions as the package's own (dev) dependencies", () => {
    const image = JSON.parse(read('deploy/token-server/package.json')) as {
      dependencies: Record<string, string>;
    };
    const own = JSON.parse(read('package.json')) as {
      devDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    for (const [name, version] of Object.entries(image.dependencies)) {
      assert.equal(version, own.devDependencies[name], `${name}: same version as the repository`);
      assert.ok(own.peerDependencies[name], `${name} is a peer dependency of the package`);
    }
  });

  describe('install and start in a temp folder', () => {
    let dir: string;
    let port: number;
    let child: ReturnType<typeof spawn> | undefined;
    let output = '';
    const metricsToken = 'metrics-token-for-the-deploy-test-0123456789';
    const env = (): NodeJS.ProcessEnv => {
      const fromImage: Record<string, string> = {};
      for (const i of runtime.filter((x) => x.op === 'ENV'))
        for (const [, k, v] of i.args.matchAll(/([A-Z_]+)=(\S+)/g))
          fromImage[k as string] = v as string;
      return {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        ...fromImage,
        HOST: '127.0.0.1',
        PORT: String(port),
        CONSULT_KIT_DEMO: '1',
        OPENVIDU_URL: 'http://127.0.0.1:9',
        OPENVIDU_SECRET: 'deploy-test-openvidu-secret',
        METRICS_TOKEN: metricsToken,
      };
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'consult-kit-image-'));
      port = await freePort();
    });
    after(async () => {
      child?.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });

    test('the COPY + RUN npm ci of the runtime stage install the server dependencies', async () => {
      const copy = runtime.find((i) => i.op === 'COPY' && i.args.includes('deploy/token-server/'));
      assert.ok(copy, 'COPY deploy/token-server/package.json …');
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const s of sources) cpSync(join(root, s), join(dir, s.split('/').at(-1) as string));
      const install = runtime.find((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args));
      // The install command itself (not the `npm cache clean` after it), from the npm cache.
      const npmCi = (install?.args.split('&&')[0] ?? '').trim().split(/\s+/);
      assert.equal(npmCi[0], 'npm');
      const r = await run('npm', [...npmCi.slice(1), '--prefer-offline'], dir);
      assert.equal(r.code, 0, r.out);
      for (const name of [
        'hono',
        '@hono/node-server',
        '@hono/zod-openapi',
        'zod',
        'jose',
        '@electric-sql/pglite',
        'pg',
        'prom-client',
      ])
        assert.ok(existsSync(join(dir, 'node_modules', name, 'package.json')), `${name} installed`);
    });

    test('the CMD starts the token server, which answers /health, /ready, /metrics; the HEALTHCHECK passes', async () => {
      assert.ok(existsSync(join(dir, 'node_modules/hono')), 'needs the install above');
      // The package: bin/, package.json and the server bundle at dist/server/cli.js (what the
      // package build puts there), bare imports left to the install above.
      const pkgDir = join(dir, 'node_modules/consult-kit');
      mkdirSync(pkgDir, { recursive: true });
      cpSync(join(root, 'bin'), join(pkgDir, 'bin'), { recursive: true });
      cpSync(join(root, 'package.json'), join(pkgDir, 'package.json'));
      const esbuild = join(root, 'node_modules/.bin/esbuild');
      const b = await run(
        esbuild,
        [
          'server/cli.ts',
          '--bundle',
          '--splitting',
          '--format=esm',
          '--platform=node',
          '--packages=external',
          `--outdir=${join(pkgDir, 'dist/server')}`,
          '--log-level=error',
        ],
        root,
      );
      assert.equal(b.code, 0, b.out);
      const cmd = JSON.parse(runtime.find((i) => i.op === 'CMD')?.args ?? '[]') as string[];
      child = spawn(cmd[0] as string, cmd.slice(1), { cwd: dir, env: env(), stdio: 'pipe' });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        `/health (output so far: ${output})`,
        async () => (await fetch(`${base}/health`)).ok,
      );
      const ready = await fetch(`${base}/ready`);
      assert.equal(ready.status, 503, 'no OpenVidu: not ready');
      const metrics = await fetch(`${base}/metrics`, {
        headers: { Authorization: `Bearer ${metricsToken}` },
      });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /consultkit_http_request_duration_seconds/);
      // The HEALTHCHECK's command, with the image's environment.
      const health = JSON.parse(
        /CMD (\[.*\])$/.exec(runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '')?.[1] ?? '[]',
      ) as string[];
      const h = await run(health[0] as string, health.slice(1), dir, env());
      assert.equal(h.code, 0, h.out);
      // Logs are JSON lines carrying request ids.
      assert.match(output, /"msg":"request","requestId":"[0-9a-f-]{36}"/);
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    });
  });
});

describe('deploy/compose.yaml', () => {
  const doc = parseYamlSubset(read('deploy/compose.yaml')) as {
    services: Record<string, { image?: string; environment?: Record<string, string> }>;
  };
  const tokenServers = Object.entries(doc.services).filter(
    ([, s]) => s.image === 'consult-kit-token-server',
  );

  test('two token servers, PostgreSQL, OpenVidu 2.32 and coturn', () => {
    assert.equal(tokenServers.length, 2);
    const images = Object.values(doc.services).map((s) => s.image ?? '');
    assert.ok(images.some((i) => /^postgres:/.test(i)));
    assert.ok(images.some((i) => /^openvidu\/openvidu-server:2\.32\./.test(i)));
    assert.ok(images.some((i) => /coturn/.test(i)));
  });

  test('the token servers name only environment variables docs/token-server.md documents', () => {
    const docs = read('docs/token-server.md');
    for (const [name, s] of tokenServers)
      for (const key of Object.keys(s.environment ?? {}))
        assert.match(
          docs,
          new RegExp(`\\b${key}\\b`),
          `${name}: ${key} is not in docs/token-server.md`,
        );
  });

  test('every ${VAR} it uses is in deploy/.env.example', () => {
    const example = new Set(
      read('deploy/.env.example')
        .split('\n')
        .map((l) => /^([A-Z_]+)=/.exec(l)?.[1])
        .filter(Boolean),
    );
    for (const [, v] of read('deploy/compose.yaml').matchAll(/\$\{([A-Z_]+)\}/g))
      assert.ok(example.has(v as string), `${v} missing from deploy/.env.example`);
  });
});
