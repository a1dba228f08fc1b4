/** Locating and running ffmpeg/ffprobe for the recorder's post-processing. */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The optional npm package's binary (an old static 4.1 build; Debian's ffmpeg is preferred when present). */
async function fromInstallerPackage(): Promise<string | undefined> {
  const specifier = '@ffmpeg-installer/ffmpeg';
  try {
    const mod: unknown = await import(specifier);
    const candidates = [mod, (mod as { default?: unknown } | null)?.default];
    for (const candidate of candidates) {
      if (typeof candidate === 'object' && candidate !== null && 'path' in candidate) {
        const path = (candidate as { path: unknown }).path;
        if (typeof path === 'string' && (await isExecutable(path))) return path;
      }
    }
  } catch {
    // Not installed (it is optional).
  }
  return undefined;
}

let cachedFfmpeg: Promise<string> | undefined;

/** `FFMPEG_PATH`, then `ffmpeg` on PATH, then `@ffmpeg-installer/ffmpeg`. Rejects with what to do. */
export function findFfmpeg(): Promise<string> {
  cachedFfmpeg ??= (async () => {
    const fromEnv = process.env.FFMPEG_PATH;
    if (fromEnv) {
      if (await isExecutable(fromEnv)) return fromEnv;
      throw new Error(`FFMPEG_PATH=${fromEnv} is not an executable file`);
    }
    const found = (await onPath('ffmpeg')) ?? (await fromInstallerPackage());
    if (found) return found;
    throw new Error(
      'ffmpeg not found: set FFMPEG_PATH, put ffmpeg on PATH, or install @ffmpeg-installer/ffmpeg',
    );
  })();
  const pending = cachedFfmpeg;
  pending.catch(() => {
    if (cachedFfmpeg === pending) cachedFfmpeg = undefined;
  });
  return pending;
}

/** ffprobe next to the ffmpeg in use, else on PATH; undefined when there is none (the npm package has none). */
export async function findFfprobe(ffmpegPath: string): Promise<string | undefined> {
  const sibling = join(dirname(ffmpegPath), 'ffprobe');
  if (await isExecutable(sibling)) return sibling;
  return onPath('ffprobe');
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion; rejects with the exit status and the tail of stderr. */
export function run(binary: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${binary} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${binary}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(
            `${binary} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

/** Container duration in seconds via ffprobe, or undefined when it cannot be read. */
export async function probeDuration(ffprobe: string, file: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(
      ffprobe,
      [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'default=noprint_wrappers=1:nokey=1',
        file,
      ],
      15_000,
    );
    const seconds = Number.parseFloat(stdout.trim());
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}
