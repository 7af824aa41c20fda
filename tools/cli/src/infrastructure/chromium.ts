import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isRoot } from './dependency';

/** Debian's Chromium, which the browser tests drive with playwright-core (no browser download). */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

const run = (command: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code ?? -1));
  });

/**
 * The browser tests of the web pages need Chromium at /usr/bin/chromium. When it is missing
 * and this process may install packages (root, apt-get on Debian), installs Debian's chromium
 * package; otherwise says in one line what to install and leaves the failure to the tests,
 * which name it too. Never throws.
 */
export async function ensureChromium(log: (line: string) => void): Promise<void> {
  if (existsSync(SYSTEM_CHROMIUM)) return;
  const aptGet = '/usr/bin/apt-get';
  if (!isRoot() || !existsSync(aptGet) || !existsSync('/etc/debian_version')) {
    log(`${SYSTEM_CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) for the browser tests of the web pages`);
    return;
  }
  log(`${SYSTEM_CHROMIUM} is missing: installing Debian's chromium package with apt-get`);
  const install = () => run(aptGet, ['install', '-y', '--no-install-recommends', 'chromium']);
  // a fresh machine often has no package lists yet; only then is the slow update worth it
  if ((await install()) !== 0 && ((await run(aptGet, ['update'])) !== 0 || (await install()) !== 0)) {
    log('apt-get could not install chromium; the browser tests will fail until it is installed');
    return;
  }
  if (!existsSync(SYSTEM_CHROMIUM)) log(`the chromium package is installed but ${SYSTEM_CHROMIUM} is still missing`);
}
