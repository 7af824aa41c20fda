import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isRoot } from './dependency';

/** The interpreter the Python quickstart's e2e test runs (Debian's, where python3-requests installs). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Runs a command to completion without a terminal; resolves to its exit code (-1 when it cannot start). */
const run = (command: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code ?? -1));
  });

const hasRequests = async (): Promise<boolean> => existsSync(SYSTEM_PYTHON) && (await run(SYSTEM_PYTHON, ['-c', 'import requests'])) === 0;

/**
 * The Python quickstart's e2e test needs `requests` in the system Python. When it is missing
 * and this process may install packages (root, apt-get on Debian), installs Debian's
 * python3-requests, like ensureNats installs nats-server; otherwise leaves it to the test,
 * which fails saying what to install. Never throws.
 */
export async function ensurePythonRequests(log: (line: string) => void): Promise<void> {
  if (await hasRequests()) return;
  const aptGet = '/usr/bin/apt-get';
  if (!isRoot() || !existsSync(aptGet) || !existsSync('/etc/debian_version')) {
    log(`${SYSTEM_PYTHON} cannot import requests: install python3-requests (apt-get install python3-requests) for the Python quickstart test`);
    return;
  }
  log(`${SYSTEM_PYTHON} cannot import requests: installing Debian's python3-requests package with apt-get`);
  const install = () => run(aptGet, ['install', '-y', '--no-install-recommends', 'python3-requests']);
  // a fresh machine often has no package lists yet; only then is the slow update worth it
  if ((await install()) !== 0 && ((await run(aptGet, ['update'])) !== 0 || (await install()) !== 0)) {
    log('apt-get could not install python3-requests; the Python quickstart test will fail until it is installed');
    return;
  }
  if (!(await hasRequests())) log(`python3-requests is installed but ${SYSTEM_PYTHON} still cannot import requests`);
}
