// The one list of Firefox preferences for every test that launches Debian's Firefox ESR through
// puppeteer-core (WebDriver BiDi): web-test-runner's Firefox launcher and the Firefox e2e tests.
// The fake-media prefs give a camera and a microphone without a prompt (Firefox's equivalent of
// Chromium's --use-fake-device-for-media-stream and --use-fake-ui-for-media-stream), and autoplay
// is allowed as Chromium's --autoplay-policy=no-user-gesture-required allows it
// (docs/contributing.md#browsers).

/** @returns {Record<string, unknown>} */
export function firefoxPrefs() {
  return {
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    'media.autoplay.default': 0,
    // No update checks, telemetry or first-run pages dialling hosts an offline machine refuses.
    'app.update.disabledForTesting': true,
    'datareporting.policy.dataSubmissionEnabled': false,
    'browser.shell.checkDefaultBrowser': false,
  };
}

/** Debian's Firefox ESR, or FIREFOX_PATH. */
export function firefoxPath() {
  return process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
}

/**
 * puppeteer-core launch options for Firefox with fake media (`puppeteer.launch(firefoxLaunchOptions())`).
 * @returns {import('puppeteer-core').LaunchOptions}
 */
export function firefoxLaunchOptions() {
  return {
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    extraPrefsFirefox: firefoxPrefs(),
  };
}
