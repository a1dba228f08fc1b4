// Shared Chromium launch for end-to-end tests: Debian's Chromium through playwright-core (no download),
// running as root, with fake media devices and, optionally, a y4m file as the camera.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { chromiumFlags } from '../../../scripts/chromium-flags.mjs';

const run = promisify(execFile);

export const CHROMIUM_FLAGS: readonly string[] = chromiumFlags();

export interface LaunchOptions {
  /** A y4m file Chromium loops as the fake camera (see {@link makeFakeCamera}). */
  fakeVideoFile?: string;
  extraArgs?: string[];
}

export function chromiumPath(): string {
  return process.env['CHROME_PATH'] || '/usr/bin/chromium';
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...CHROMIUM_FLAGS, ...(options.extraArgs ?? [])];
  if (options.fakeVideoFile)
    args.push(`--use-file-for-fake-video-capture=${options.fakeVideoFile}`);
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args });
}

export interface FakeCamera {
  file: string;
  width: number;
  height: number;
  /** Removes the temporary folder. */
  dispose(): Promise<void>;
}

/** Writes an ffmpeg `testsrc` clip as y4m into a temporary folder (~0.2 s). */
export async function makeFakeCamera(
  width = 640,
  height = 480,
  fps = 15,
  seconds = 3,
): Promise<FakeCamera> {
  const dir = await mkdtemp(join(tmpdir(), 'ck-fake-cam-'));
  const file = join(dir, 'camera.y4m');
  await run(process.env['FFMPEG_PATH'] || 'ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${width}x${height}:rate=${fps}`,
    '-t',
    String(seconds),
    '-pix_fmt',
    'yuv420p',
    '-y',
    file,
  ]);
  return { file, width, height, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it returns a value other than `undefined`/`false`, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`, {
        cause: last,
      });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
