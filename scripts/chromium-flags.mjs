// The one list of Chromium flags for every test and benchmark that launches Debian's Chromium
// (web-test-runner, playwright-core e2e tests, benchmarks). As root Chromium needs --no-sandbox;
// without the background-networking flags it keeps dialling hosts this network refuses; the
// fake-media flags give a camera and a microphone without a prompt (docs/contributing.md#browsers).

/**
 * @param {{ cameras?: number }} [options] how many fake cameras (Chromium's default is one)
 * @returns {string[]}
 */
export function chromiumFlags({ cameras = 1 } = {}) {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    cameras > 1
      ? `--use-fake-device-for-media-stream=device-count=${cameras}`
      : '--use-fake-device-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ];
}
