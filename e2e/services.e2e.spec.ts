import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { verifyChain } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';
import { newSigningKey, publicKeyOfSigningKey, repositoryRoot, SERVICES } from '@halm/testing';
import { authorize, startE2eStack } from './stack';

const startWith = (service: string, environment: Record<string, string>) =>
  spawnSync(process.execPath, [join(repositoryRoot, 'apps', service, 'dist', 'main.js')], {
    env: { PATH: process.env['PATH'] ?? '', ...environment },
    encoding: 'utf8',
    timeout: 20_000,
  });

describe('each service as its own process', () => {
  it.each(SERVICES)('%s stops with one line naming a malformed setting', (service) => {
    // Every required setting is valid; only PORT is not.
    const signingKey = newSigningKey();
    const result = startWith(service, {
      PORT: 'eighty',
      EXECUTION_TOKEN_SIGNING_KEY: signingKey,
      EXECUTION_TOKEN_PUBLIC_KEYS: publicKeyOfSigningKey(signingKey),
      LEDGER_SIGNING_KEY: newSigningKey(),
      WEBHOOK_SIGNING_SECRET: 'x'.repeat(32),
    });

    expect(result.status).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([`${service}: invalid setting PORT="eighty": must be a whole number between 0 and 65535`]);
  });

  it('stops the executor with one line when it knows no key to check execution tokens with', () => {
    const result = startWith('executor', { WEBHOOK_SIGNING_SECRET: 'x'.repeat(32) });

    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toMatch(/^executor: missing setting EXECUTION_TOKEN_PUBLIC_KEYS: must list one or more Ed25519 public keys/);
  });

  it('stops the gateway with one line when it has no key to sign execution tokens with', () => {
    const result = startWith('gateway', {});

    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toBe('gateway: missing setting EXECUTION_TOKEN_SIGNING_KEY: must be an Ed25519 private key, PKCS#8 DER in base64url (./halm keys signing makes one)');
  });

  it('stops with one line naming a connection setting missing in production', () => {
    const result = startWith('gateway', { NODE_ENV: 'production', DATABASE_URL: 'postgres://halm@db/halm' });

    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toBe('gateway: missing setting NATS_URL: it must be set when NODE_ENV=production');
  });

  it('finishes in-flight requests on SIGTERM: every answer is a recorded decision or a fail-closed 503, and the exit is clean', async () => {
    await using halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway']);
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const evaluator = halm.stack.processes.find((entry) => entry.service === 'policy-evaluator')!.process;
    const exited = new Promise<number | null>((resolve) => evaluator.once('exit', (code) => resolve(code)));

    const requests = Array.from({ length: 60 }, (_, index) =>
      authorize(halm.gatewayUrl, agentKey, { type: 'task:create', payload: { title: `task ${index}` }, context: { confidenceScore: 0.95 } }),
    );
    setTimeout(() => evaluator.kill('SIGTERM'), 15);
    const responses = await Promise.all(requests);
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as { proposalId?: string; allowed: boolean }[];

    expect(await exited).toBe(0);
    expect(responses.every((response) => response.status === 200 || response.status === 503)).toBe(true);
    const recorded = new Set(
      (await (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId))
        .filter((event) => event.type === 'DecisionRecorded')
        .map((event) => (event.data as { decision: { proposalId: string } }).decision.proposalId),
    );
    responses.forEach((response, index) => {
      const body = bodies[index]!;
      if (response.status === 200) expect(recorded.has(body.proposalId!)).toBe(true);
      else expect(body.allowed).toBe(false);
    });
  });

  it('leaves one unbroken chain when two ledger processes append for one tenant at once', async () => {
    await using halm = await startE2eStack(['policy-evaluator', 'ledger', 'ledger', 'gateway']);
    const { tenantId, agentKey } = await halm.createTenant('acme');

    const responses = await Promise.all(
      Array.from({ length: 120 }, (_, index) =>
        authorize(halm.gatewayUrl, agentKey, { type: 'task:create', payload: { title: `task ${index}` }, context: { confidenceScore: 0.95 } }),
      ),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(120).fill(200));
    const events = await (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);
    // The default policy's two events, then the 120 decisions.
    expect(events.map((event) => event.height)).toEqual(Array.from({ length: 122 }, (_, index) => index + 1));
    expect(events.filter((event) => event.type === 'DecisionRecorded')).toHaveLength(120);
    expect(verifyChain(events, undefined, tenantId)).toEqual([]);
    // Both instances appended some of them: each one's own count of appends, from its metrics.
    for (const ledger of halm.stack.processes.filter((entry) => entry.service === 'ledger')) {
      const metrics = await (await fetch(`${ledger.url}/metrics`)).text();
      const appended = /halm_ledger_appends_total\{[^}]*outcome="appended"[^}]*\} (\d+)/.exec(metrics);
      expect(Number(appended?.[1] ?? 0)).toBeGreaterThan(0);
    }
  });
});
