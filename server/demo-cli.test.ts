import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDemoCli } from './demo.js';

/** Runs the demo CLI up to its configuration check; nothing starts when it refuses. */
async function refused(argv: string[], env: Record<string, string>): Promise<string> {
  let errors = '';
  const code = await runDemoCli(argv, {
    env,
    out: () => undefined,
    err: (text) => (errors += text),
    untilStopped: Promise.resolve(),
  });
  assert.equal(code, 2, errors);
  return errors;
}

describe('consult-kit demo configuration', () => {
  it('should refuse the other backend’s media server instead of ignoring it', async () => {
    assert.match(
      await refused(['--backend', 'livekit'], {
        OPENVIDU_URL: 'https://ov.example',
        OPENVIDU_SECRET: 'x',
      }),
      /OPENVIDU_URL is for the openvidu backend/,
    );
    assert.match(
      await refused([], {
        LIVEKIT_URL: 'wss://lk.example',
        LIVEKIT_API_KEY: 'k',
        LIVEKIT_API_SECRET: 's',
      }),
      /LIVEKIT_URL is for the livekit backend: add --backend livekit/,
    );
  });

  it('should name a half-configured media server', async () => {
    assert.match(
      await refused([], { OPENVIDU_URL: 'https://ov.example' }),
      /OPENVIDU_URL is set but OPENVIDU_SECRET is not/,
    );
    assert.match(
      await refused(['--backend', 'livekit'], { LIVEKIT_URL: 'wss://lk.example' }),
      /LIVEKIT_API_KEY or LIVEKIT_API_SECRET is not/,
    );
  });
});
