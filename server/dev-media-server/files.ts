/**
 * Serves recording files (`/openvidu/recordings/{id}/{name}`) from disk with HTTP Range support.
 * Files are streamed, never buffered; ids and names are validated and the resolved path must stay
 * inside the recordings folder (symlinks included).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { isValidFileName, isValidRecordingId } from './ids.js';

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.zip': 'application/zip',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
};

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Parses a single `bytes=` range against `size`. Returns `undefined` when the header should be
 * ignored (absent, malformed, multi-range, other unit) and `'unsatisfiable'` for a 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return 'unsatisfiable';
  return { start, end };
}

const notFound = (): Response => new Response(null, { status: 404 });

export async function serveRecordingFile(
  root: string,
  recordingId: string,
  fileName: string,
  method: string,
  rangeHeader: string | undefined,
): Promise<Response> {
  if (!isValidRecordingId(recordingId) || !isValidFileName(fileName)) return notFound();
  return serveFileUnder(root, [recordingId, fileName], method, rangeHeader);
}

/**
 * Serves the file at `segments` (already validated by the caller) under `root`: 404 unless the
 * resolved path, symlinks included, is a regular file inside `root`.
 */
export async function serveFileUnder(
  root: string,
  segments: readonly string[],
  method: string,
  rangeHeader: string | undefined,
): Promise<Response> {
  const fileName = segments.at(-1) ?? '';
  const rootAbs = resolve(root);
  const candidate = resolve(rootAbs, ...segments);
  if (!candidate.startsWith(rootAbs + sep)) return notFound();
  let real: string;
  let size: number;
  let mtime: Date;
  try {
    real = await realpath(candidate);
    const realRoot = await realpath(rootAbs);
    if (!real.startsWith(realRoot + sep)) return notFound();
    const st = await stat(real);
    if (!st.isFile()) return notFound();
    size = st.size;
    mtime = st.mtime;
  } catch {
    return notFound();
  }
  const headers = new Headers({
    'Content-Type': CONTENT_TYPES[extname(fileName).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Last-Modified': mtime.toUTCString(),
    ETag: `W/"${size.toString(16)}-${mtime.getTime().toString(16)}"`,
  });
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${size}`);
    headers.delete('Content-Type');
    return new Response(null, { status: 416, headers });
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  headers.set('Content-Length', String(length));
  if (range) headers.set('Content-Range', `bytes ${start}-${end}/${size}`);
  const status = range ? 206 : 200;
  if (method === 'HEAD' || length === 0) return new Response(null, { status, headers });
  const nodeStream = createReadStream(real, { start, end });
  const body = Readable.toWeb(nodeStream) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, { status, headers });
}
