import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { repositoryRoot } from '@halm/testing';

/** Debian's Chromium (`apt-get install chromium`; `./halm test` installs it when run as root on Debian). Never a browser download. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium, closed on dispose. Root (CI containers) needs --no-sandbox. */
export const launchBrowser = async (): Promise<Browser & AsyncDisposable> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; ./halm test does it when run as root on Debian) to run the browser tests`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
};

export interface OpenedPage extends AsyncDisposable {
  page: Page;
  /** Uncaught exceptions and Content-Security-Policy violations the page reported; a test expects none. */
  problems: string[];
}

/** A fresh browser context (its own sessionStorage) with one page at the URL, the size of the screenshots. */
export const openPage = async (browser: Browser, url: string): Promise<OpenedPage> => {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`csp: ${message.text()}`);
  });
  await page.goto(url);
  return { page, problems, [Symbol.asyncDispose]: () => context.close() };
};

/**
 * Saves a screenshot as <name>.png when HALM_SCREENSHOTS names a folder (relative to the
 * repository), e.g. `HALM_SCREENSHOTS=docs/screenshots`; a plain test run saves none. The
 * whole page, or down to the bottom of `until` for a long one.
 */
export const screenshot = async (page: Page, name: string, until?: Locator): Promise<void> => {
  const folder = process.env['HALM_SCREENSHOTS'];
  if (!folder) return;
  const directory = isAbsolute(folder) ? folder : join(repositoryRoot, folder);
  mkdirSync(directory, { recursive: true });
  // From the top: a sticky element is drawn where it sits, and a clip is measured from there.
  await page.evaluate('window.scrollTo(0, 0)');
  const box = until ? await until.boundingBox() : null;
  const width = page.viewportSize()?.width ?? 1360;
  await page.screenshot({
    path: join(directory, `${name}.png`),
    fullPage: true,
    ...(box ? { clip: { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + 24) } } : {}),
    animations: 'disabled',
    caret: 'hide',
  });
};
