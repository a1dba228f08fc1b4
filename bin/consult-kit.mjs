#!/usr/bin/env node
// `npx consult-kit <command>`: runs the built CLI from dist/ when the package is installed, or the
// TypeScript sources through tsx when run inside the repository (npm start after npm install).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/server/cli.js`;
const source = `${root}server/cli.ts`;

async function load() {
  if (existsSync(source)) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      return import(pathToFileURL(source).href);
    } catch (error) {
      if (!existsSync(built)) throw error;
    }
  }
  return import(pathToFileURL(built).href);
}

try {
  const cli = await load();
  const code = await cli.main(process.argv.slice(2));
  // The command is done (its servers are closed): exit once the output is flushed, instead of
  // waiting for the event loop to drain. werift keeps retransmitting a DTLS flight of a peer
  // connection closed mid-handshake for up to ~33 s, which held the terminal after "Stopped.".
  const exitCode = typeof code === 'number' ? code : 0;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(exitCode)));
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    const name = /'([^']+)'/.exec(String(error.message))?.[1] ?? 'a server dependency';
    console.error(
      `consult-kit: ${name} is not installed. The Node side (token server, dev media server) needs its optional peer dependencies:\n` +
        '  npm install hono @hono/node-server @hono/zod-openapi zod jose @electric-sql/pglite ws werift yazl',
    );
  } else {
    console.error(`consult-kit: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
}
