/**
 * `consult-kit token-server verify-audit [--data-dir <dir>] [--consult <id>…]`: checks the audit
 * trail's hash chains in a token server's database and exits 1 when one is broken.
 */
import { parseArgs } from 'node:util';
import type { Db } from './db.js';
import { openPgliteDb } from './db.js';
import { AuditRepository } from './repositories/audit.js';
import { AuditLog } from './services/audit-log.js';

export const VERIFY_AUDIT_HELP = `Usage: consult-kit token-server verify-audit [options]

  --data-dir <dir>     PGlite data folder (env CONSULT_KIT_DATA_DIR); required
  --consult <id>       Check only this consultation (repeatable); default every one
  -h, --help           This text

Prints one line per consultation (ok, or BROKEN with the entries found edited, missing or
unlinked) and its head (seq and hash; keep it elsewhere to detect a cut-off tail).
Exit code 0 when every chain verifies, 1 otherwise, 2 on bad usage.
`;

/** Verifies the chains of `consultIds` (every consultation when empty). */
export async function verifyAuditReport(
  db: Db,
  consultIds: string[] = [],
): Promise<{ ok: boolean; text: string }> {
  const log = new AuditLog(new AuditRepository(db));
  const results = consultIds.length
    ? await Promise.all(consultIds.map((id) => log.verify(id)))
    : await log.verifyAll();
  const lines = results.map((v) => {
    const head = v.head ? ` head seq ${v.head.seq} ${v.head.hash}` : ' (no entries)';
    const purged = v.purgedThrough ? ` (purged through seq ${v.purgedThrough})` : '';
    if (v.ok) return `${v.consultId}: ok, ${v.entries} entries${purged};${head}`;
    const problems = v.problems.map((p) => `  seq ${p.seq} (id ${p.id}): ${p.problem}`);
    return [`${v.consultId}: BROKEN, ${v.entries} entries${purged};${head}`, ...problems].join(
      '\n',
    );
  });
  return { ok: results.every((v) => v.ok), text: `${lines.join('\n')}\n` };
}

export async function runVerifyAuditCli(
  argv: string[],
  io: {
    out: (t: string) => void;
    err: (t: string) => void;
    env?: Record<string, string | undefined>;
  },
): Promise<number> {
  let values: { 'data-dir'?: string; consult?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        consult: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n\n${VERIFY_AUDIT_HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(VERIFY_AUDIT_HELP);
    return 0;
  }
  const dataDir = values['data-dir'] ?? (io.env ?? process.env)['CONSULT_KIT_DATA_DIR'];
  if (!dataDir) {
    io.err(`verify-audit needs --data-dir (or CONSULT_KIT_DATA_DIR)\n\n${VERIFY_AUDIT_HELP}`);
    return 2;
  }
  const db = await openPgliteDb({ dataDir });
  try {
    const { ok, text } = await verifyAuditReport(db, values.consult ?? []);
    (ok ? io.out : io.err)(text);
    return ok ? 0 : 1;
  } finally {
    await db.close();
  }
}
