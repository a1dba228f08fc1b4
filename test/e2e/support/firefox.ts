// Debian's Firefox ESR for end-to-end tests, driven by puppeteer-core over WebDriver BiDi (no browser
// download), with the fake-media prefs of scripts/firefox-prefs.mjs.
import puppeteer, { type Browser } from 'puppeteer-core';
import { firefoxLaunchOptions } from '../../../scripts/firefox-prefs.mjs';

export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch(firefoxLaunchOptions());
}
