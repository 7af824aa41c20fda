import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '@halm/testing';
import { startE2eStack, type E2eStack } from './stack';

const run = promisify(execFile);

// Debian's interpreter: `./halm test` installs python3-requests for it when it can.
const PYTHON = '/usr/bin/python3';
const QUICKSTART = join(repositoryRoot, 'examples', 'python-quickstart', 'quickstart.py');

/** Fails (never skips) when the interpreter cannot import requests, saying what to install. */
const requirePythonRequests = async (): Promise<void> => {
  try {
    await run(PYTHON, ['-c', 'import requests']);
  } catch (error) {
    const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n').at(-1);
    throw new Error(
      `${PYTHON} cannot import requests (${detail}): install python3-requests (apt-get install python3-requests; ./halm test does it when run as root on Debian) to run the Python quickstart`,
    );
  }
};

describe("the quickstart seed's Python snippet against the running services", () => {
  let halm: E2eStack;

  beforeAll(async () => {
    await requirePythonRequests();
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  it('sends the payment of 120 and blocks the one of 50000 with the reason', async () => {
    const { agentKey } = await halm.createTenant('acme');

    const { stdout } = await run(PYTHON, [QUICKSTART], {
      cwd: repositoryRoot,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HALM_URL: halm.gatewayUrl, HALM_API_KEY: agentKey },
      timeout: 30_000,
    });

    const [first, second, ...rest] = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(first).toEqual({ status: 'sent', proposalId: expect.stringMatching(/^prop_[0-9a-f]{24}$/) });
    expect(second).toEqual({ blocked: true, reasons: ['Amount above 10000 needs a human approver'] });

    // The allowed payment is the tenant's recorded decision, not something the script made up.
    const proposal = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${String(first?.['proposalId'])}`, { headers: { authorization: `Bearer ${agentKey}` } });
    expect(proposal.status).toBe(200);
    expect(await proposal.json()).toMatchObject({ type: 'ledger:write', lifecycle: 'ALLOWED', payload: { amount: 120, recipient: 'acme' } });
  });
});
