/**
 * Where a room-composite egress writes its MP4 (the request's `filepath`, LiveKit's templates
 * expanded, checked to stay inside the recordings folder) and how the finished files are read and
 * deleted over HTTP (`GET|HEAD|DELETE /egress-files/<file path>`, what the token server's
 * `LIVEKIT_RECORDINGS_URL` points at).
 */
import { rm, realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { serveFileUnder } from '../files.js';
import { TwirpError } from './twirp.js';

/** The HTTP prefix of the finished files. */
export const EGRESS_FILES_PREFIX = '/egress-files/';

const SEGMENT_RE = /^[A-Za-z0-9_~:@=+-][A-Za-z0-9_.~:@=+-]{0,199}$/;
const MAX_SEGMENTS = 8;
const MAX_PATH = 1024;

/** A path relative to the recordings folder: 1–8 segments, no `..`, none hidden or empty. */
export function parseRelativePath(path: string): string[] | undefined {
  if (path.length === 0 || path.length > MAX_PATH) return undefined;
  const segments = path.split('/');
  if (segments.length > MAX_SEGMENTS) return undefined;
  for (const s of segments) if (!SEGMENT_RE.test(s) || s.includes('..')) return undefined;
  return segments;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** LiveKit's `{time}`: `2006-01-02T150405` in UTC. */
function timeTemplate(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/**
 * The file an egress writes, relative to the recordings folder: `{room_name}`, `{room_id}`,
 * `{time}` and `{utc}` (unix ms) expanded; empty or ending in `/` gets LiveKit's default name
 * `{room_name}-{time}`; `.mp4` is added when missing. Anything absolute, with `..`, hidden,
 * or another extension is `invalid_argument`.
 */
export function egressFilePath(
  template: string,
  vars: { roomName: string; roomId: string; now: Date },
): { relative: string; dirSegments: string[]; name: string } {
  let path = template.trim();
  if (path === '' || path.endsWith('/')) path += '{room_name}-{time}';
  path = path
    .replaceAll('{room_name}', vars.roomName)
    .replaceAll('{room_id}', vars.roomId)
    .replaceAll('{time}', timeTemplate(vars.now))
    .replaceAll('{utc}', String(vars.now.getTime()));
  if (!path.toLowerCase().endsWith('.mp4')) {
    if (/\.[A-Za-z0-9]{1,5}$/.test(path.split('/').at(-1) ?? ''))
      throw new TwirpError('invalid_argument', 'only MP4 file outputs are supported');
    path += '.mp4';
  }
  const segments = parseRelativePath(path);
  if (!segments) throw new TwirpError('invalid_argument', 'invalid filepath');
  const file = segments.at(-1) ?? '';
  return {
    relative: segments.join('/'),
    dirSegments: segments.slice(0, -1),
    name: file.slice(0, -'.mp4'.length),
  };
}

/** `root` joined with the segments, refused unless it stays strictly inside `root`. */
export function insideRoot(root: string, segments: readonly string[]): string {
  const rootAbs = resolve(root);
  const abs = resolve(rootAbs, ...segments);
  if (abs !== rootAbs && !abs.startsWith(rootAbs + sep))
    throw new TwirpError('invalid_argument', 'invalid filepath');
  return abs;
}

const plain = (status: number): Response => new Response(null, { status });

/**
 * `GET`/`HEAD` (with Range) and `DELETE` of a finished file. `busy(path)` says whether an egress
 * still writes it (then DELETE answers 409).
 */
export async function serveEgressFile(
  root: string,
  relative: string,
  method: string,
  range: string | undefined,
  busy: (relative: string) => boolean,
): Promise<Response> {
  const segments = parseRelativePath(relative);
  if (!segments) return plain(404);
  if (method === 'GET' || method === 'HEAD') return serveFileUnder(root, segments, method, range);
  if (method !== 'DELETE')
    return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD, DELETE' } });
  if (busy(segments.join('/'))) return plain(409);
  try {
    const rootReal = await realpath(resolve(root));
    const real = await realpath(resolve(root, ...segments));
    if (!real.startsWith(rootReal + sep) || !(await stat(real)).isFile()) return plain(404);
    await rm(real);
    return plain(204);
  } catch {
    return plain(404);
  }
}
