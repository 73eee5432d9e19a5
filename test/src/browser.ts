/**
 * Debian's Chromium, headless, driven by playwright-core: the one launcher of the browser tests (the
 * dashboard, the simulator's HTML report). Chromium is a system package (.ci/run installs it); when it is
 * missing the tests fail with that message rather than passing silently — EDGEFLEET_SKIP_BROWSER=1 skips
 * them explicitly.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SKIP_BROWSER = process.env.EDGEFLEET_SKIP_BROWSER === '1';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or EDGEFLEET_SKIP_BROWSER=1 to skip)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
