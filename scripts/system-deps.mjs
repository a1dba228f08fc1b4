// Finds (and, as root on Debian, installs) the system programs the tests need: Chromium and Firefox
// ESR for browser and end-to-end tests, ffmpeg/ffprobe for recordings, PostgreSQL for the token
// server's second database backend. Never downloads a browser build of its own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findPgBin } from './pg-cluster.mjs';

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function findChromium() {
  for (const c of [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (c && existsSync(c)) return c;
  }
  return which('chromium') ?? which('google-chrome');
}

export function findFirefox() {
  for (const c of [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox']) {
    if (c && existsSync(c)) return c;
  }
  return which('firefox-esr') ?? which('firefox');
}

export function ensureSystemDeps({
  chromium = true,
  firefox = false,
  ffmpeg = true,
  postgresql = false,
} = {}) {
  const missing = [];
  if (chromium && !findChromium()) missing.push('chromium');
  if (firefox && !findFirefox()) missing.push('firefox-esr');
  if (ffmpeg && (!which('ffmpeg') || !which('ffprobe'))) missing.push('ffmpeg');
  if (postgresql && !findPgBin()) missing.push('postgresql');
  if (missing.length) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && which('apt-get')) {
      console.log(`Installing ${missing.join(' and ')} from Debian's packages (apt-get)…`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      const r = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], {
        stdio: 'inherit',
        env,
      });
      if (r.status !== 0) {
        return {
          ok: false,
          message: `apt-get install ${missing.join(' ')} failed; install them and run npm test again.`,
        };
      }
    } else {
      return {
        ok: false,
        message:
          `The tests need ${missing.join(' and ')}, which is not installed.\n` +
          `On Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}\n` +
          `Or point CHROME_PATH at an installed Chromium/Chrome and FIREFOX_PATH at a Firefox ` +
          `(checked with Debian's firefox-esr 153). No browser is downloaded by the tests.`,
      };
    }
  }
  return {
    ok: true,
    chromium: chromium ? findChromium() : undefined,
    firefox: firefox ? findFirefox() : undefined,
  };
}
