#!/usr/bin/env node
// `npm run openapi`: writes docs/openapi.json, the token server's OpenAPI 3.1 document, exactly as
// `GET /api/openapi.json` serves it. The app is built in-process (demo mode on, so the demo login
// route is listed) over a stub database: nothing listens, nothing reaches OpenVidu.
// `npm run openapi -- --check` exits 1 when the committed file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { tsImport } from 'tsx/esm/api';

export const OPENAPI_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** A database that accepts the migrations and answers every query with no rows. */
const stubDb = {
  async query() {
    return { rows: [] };
  },
  async exec() {},
  async close() {},
};

/** The document as the running server serves it, formatted the way the repository's Prettier wants. */
export async function renderOpenApi() {
  const { createTokenServer } = await tsImport('../server/token-server/app.ts', import.meta.url);
  const { silentLogger } = await tsImport('../server/token-server/logger.ts', import.meta.url);
  const server = createTokenServer({ db: stubDb, demo: true, env: {}, logger: silentLogger });
  try {
    const res = await server.fetch(new Request('http://localhost/api/openapi.json'));
    if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
    const doc = await res.json();
    const config = (await prettier.resolveConfig(OPENAPI_FILE)) ?? {};
    return prettier.format(JSON.stringify(doc, null, 2), { ...config, parser: 'json' });
  } finally {
    await server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = await renderOpenApi();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // missing counts as out of date
    }
    if (current !== text) {
      console.error('docs/openapi.json is out of date: run `npm run openapi`.');
      process.exit(1);
    }
    console.log('docs/openapi.json is up to date.');
  } else {
    writeFileSync(OPENAPI_FILE, text);
    console.log('wrote docs/openapi.json');
  }
}
