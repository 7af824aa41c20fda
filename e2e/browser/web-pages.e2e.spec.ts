import { jetstream } from '@nats-io/jetstream';
import type { Browser, Page } from 'playwright-core';
import type { LedgerEvent } from '@halm/contracts';
import { chain, DEFAULT_MANIFEST_SOURCE, headOf, INVARIANTS } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';
import { eventually } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from '../stack';
import { launchBrowser, openPage, screenshot } from './browser';

const LARGE_PAYMENT = { type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme-supplies' }, context: { confidenceScore: 0.95, agentId: 'payments-bot' } };
const SECOND_PAYMENT = { type: 'ledger:write', payload: { amount: 18_500, recipient: 'globex' }, context: { confidenceScore: 0.91, agentId: 'payments-bot' } };
const RECALIBRATION = { type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { temperature: 0.2 } }, context: { confidenceScore: 0.95, agentId: 'tuning-bot' } };
const SMALL_PAYMENT = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

describe('the web pages in headless Chromium, against the running services', () => {
  let halm: E2eStack;
  let browser: Browser & AsyncDisposable;

  beforeAll(async () => {
    [halm, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await halm?.[Symbol.asyncDispose]();
  });

  const api = async (key: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${halm.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const decide = async (key: string, request: unknown) => (await (await authorize(halm.gatewayUrl, key, request)).json()) as { proposalId: string; status: string };

  /** The proposal once the projection lists it. */
  const projected = (key: string, proposalId: string) =>
    eventually(async () => {
      const { status, body } = await api(key, 'GET', `/api/kernel/proposals/${proposalId}`);
      return status === 200 ? body : undefined;
    }, 10_000, `proposal ${proposalId} in the projection`);

  /**
   * An ExecutionStarted for a denied proposal, linked onto the tenant's head and published onto
   * its ledger subject directly (as anyone allowed to publish there could, bypassing the ledger
   * service): the integrity monitor's NO_SIDE_EFFECT_WITHOUT_ALLOW finds it.
   */
  const forgeExecutionOf = async (tenantId: string, proposalId: string, genuineToken: string): Promise<LedgerEvent> => {
    const ledger = await (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);
    const denial = ledger.at(-1)!;
    const header = JSON.parse(Buffer.from(genuineToken.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string };
    const event = chain(headOf(denial), {
      tenantId,
      eventId: `exe_forged_${proposalId}.started`,
      type: 'ExecutionStarted',
      recordedAt: new Date().toISOString(),
      data: {
        executionId: `exe_forged_${proposalId}`,
        proposalId,
        idempotencyKey: `forged-${proposalId}`,
        actionType: 'ledger:write',
        actionDigest: '0'.repeat(64),
        decisionHash: denial.hash,
        tokenId: 'jti_forged',
        tokenKeyId: header.kid,
        performer: 'agent',
        connector: null,
        executorId: 'executor-nobody-runs',
        requestedBy: { kind: 'key', id: 'key_forger' },
      },
    });
    await jetstream(halm.nats.connection).publish(halm.nats.topology.ledgerSubject(tenantId), JSON.stringify(event));
    return event;
  };

  const signIn = async (page: Page, key: string) => {
    await page.getByTestId('login-key').fill(key);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console-view').waitFor();
  };

  it('/docs: the playground sends the quickstart request and shows the decision', async () => {
    await using docs = await openPage(browser, `${halm.gatewayUrl}/docs`);
    const { page } = docs;
    await page.locator('form[data-ready="true"]').waitFor();

    await page.getByTestId('playground-submit').click();

    await page.getByTestId('playground-status').waitFor();
    expect(await page.getByTestId('playground-status').textContent()).toBe('ALLOW');
    expect(await page.getByTestId('playground-allowed').textContent()).toBe('allowed: true');
    expect(await page.getByTestId('playground-proposal-id').textContent()).toMatch(/^prop_/);
    expect(await page.getByTestId('playground-reasons').textContent()).toContain('Action complies with active policy manifest');
    await screenshot(page, 'api-docs', page.locator('#playground'));
    expect(docs.problems).toEqual([]);
  });

  it('/transparency: the six invariants of the seed and every field of the integrity status, polled', async () => {
    await using transparency = await openPage(browser, `${halm.gatewayUrl}/transparency`);
    const { page } = transparency;

    for (const invariant of INVARIANTS) {
      const card = page.getByTestId(`invariant-${invariant.name}`);
      expect(await card.locator('.invariant-name').textContent()).toBe(invariant.name);
      expect(await card.locator('.invariant-description').textContent()).toBe(invariant.description);
    }
    expect(await page.locator('.invariant').count()).toBe(6);
    // Polling: the status is asked for again after the first answer.
    await page.locator('main[data-integrity-fetches]:not([data-integrity-fetches="1"])').waitFor({ timeout: 20_000 });
    await page.locator('main[data-invariants-fetches]').waitFor();

    // The integrity monitor checks at start: the page shows its answer, field by field.
    const status = await eventually(async () => {
      const answer = (await (await fetch(`${halm.gatewayUrl}/api/public/integrity`)).json()) as Record<string, unknown>;
      return answer['lastIntegrityCheck'] ? answer : undefined;
    }, 20_000, 'a first integrity check');
    expect(status).toMatchObject({ enforcementActive: true, invariantsPassing: true, hashChainValid: true, lockdownActive: false });
    const fieldText = (field: string) => page.getByTestId(`integrity-${field}`);
    await fieldText('lastIntegrityCheck').locator('time').waitFor();
    expect(await fieldText('enforcementActive').textContent()).toBe('Yes');
    expect(await fieldText('invariantsPassing').textContent()).toBe('Yes');
    expect(await fieldText('hashChainValid').textContent()).toBe('Yes');
    expect(await fieldText('lockdownActive').textContent()).toBe('Not active');
    expect(await fieldText('lastIntegrityCheck').locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await page.getByTestId('integrity-overall').textContent()).toBe('All guarantees enforced');
    expect(await page.getByTestId('lockdown-state').textContent()).toBe('Lockdown: not active');
    for (const invariant of INVARIANTS) await page.getByTestId(`invariant-state-${invariant.name}`).filter({ hasText: /^Passing$/ }).waitFor();
    await screenshot(page, 'transparency');
    expect(transparency.problems).toEqual([]);
  });

  it('/console: an approver sees what waits, a veto countdown that runs down, and approves with a reason', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const approverKey = await halm.issueKey(tenantId, ['approver']);
    const payment = await decide(agentKey, LARGE_PAYMENT);
    const recalibration = await decide(agentKey, RECALIBRATION);
    await decide(agentKey, SECOND_PAYMENT);
    expect([payment.status, recalibration.status]).toEqual(['REQUIRE_HUMAN', 'HELD_FOR_VETO']);
    await projected(agentKey, recalibration.proposalId);

    await using consolePage = await openPage(browser, `${halm.gatewayUrl}/console`);
    const { page } = consolePage;
    await signIn(page, approverKey);

    expect(await page.getByTestId('session-tenant').textContent()).toBe(tenantId);
    expect(await page.getByTestId('session-roles').textContent()).toBe('approver');
    await page.getByTestId(`proposal-${payment.proposalId}`).waitFor();
    expect(await page.getByTestId(`lifecycle-${payment.proposalId}`).textContent()).toBe('Waiting for approval');
    expect(await page.getByTestId(`lifecycle-${recalibration.proposalId}`).textContent()).toBe('Held for veto');
    // The countdown to the veto deadline runs down while the page is open.
    const countdown = page.getByTestId(`countdown-${recalibration.proposalId}`);
    const secondsLeft = async () => Number(await countdown.getAttribute('data-seconds-left'));
    await page.locator(`[data-testid="countdown-${recalibration.proposalId}"][data-seconds-left]`).waitFor();
    const first = await secondsLeft();
    expect(first).toBeGreaterThan(3_000);
    expect(first).toBeLessThanOrEqual(3_600);
    await eventually(async () => ((await secondsLeft()) < first ? true : undefined), 10_000, 'the countdown to run down');
    // The approver role has no lockdown section: the console says why.
    await page.getByTestId('tab-lockdown').click();
    expect(await page.getByTestId('lockdown-role-note').textContent()).toContain('needs the admin role');
    await page.getByTestId('tab-approvals').click();
    await screenshot(page, 'console-approvals');

    await page.getByTestId(`approve-${payment.proposalId}`).click();
    await page.getByTestId('reason-text').fill('Checked with finance: invoice 2291');
    await page.getByTestId('reason-confirm').click();

    await page.getByTestId('approvals-message').filter({ hasText: 'APPROVED' }).waitFor();
    const after = await api(approverKey, 'GET', `/api/kernel/proposals/${payment.proposalId}?waitMs=5000`);
    expect(after.body).toMatchObject({ lifecycle: 'APPROVED', allowed: true });
    await page.getByTestId(`proposal-${payment.proposalId}`).waitFor({ state: 'detached' });

    await page.getByTestId(`veto-${recalibration.proposalId}`).click();
    await page.getByTestId('reason-text').fill('The risk team has not reviewed risk-v2');
    await page.getByTestId('reason-confirm').click();

    await page.getByTestId('approvals-message').filter({ hasText: 'VETOED' }).waitFor();
    expect((await api(approverKey, 'GET', `/api/kernel/proposals/${recalibration.proposalId}?waitMs=5000`)).body).toMatchObject({ lifecycle: 'VETOED', allowed: false });
    await page.getByTestId(`proposal-${recalibration.proposalId}`).waitFor({ state: 'detached' });
    expect(consolePage.problems).toEqual([]);
  });

  it('/console: an admin engages and releases the tenant\'s lockdown with a reason', async () => {
    const { tenantId } = await halm.createTenant('globex');
    const adminKey = await halm.issueKey(tenantId, ['admin']);

    await using consolePage = await openPage(browser, `${halm.gatewayUrl}/console#lockdown`);
    const { page } = consolePage;
    await signIn(page, adminKey);
    await page.getByTestId('lockdown-active').filter({ hasText: 'No lockdown in force' }).waitFor();

    await page.getByTestId('lockdown-reason').fill('Payments to an unknown recipient, investigating');
    await page.getByTestId('lockdown-engage').click();

    await page.getByTestId('lockdown-active').filter({ hasText: 'Lockdown in force' }).waitFor();
    expect(await page.getByTestId('lockdown-reason-tenant').textContent()).toBe('Payments to an unknown recipient, investigating');
    expect((await api(adminKey, 'GET', '/api/admin/lockdown')).body).toMatchObject({ active: true, tenants: [{ tenantId, trigger: 'MANUAL', reason: 'Payments to an unknown recipient, investigating' }] });
    await screenshot(page, 'console-lockdown');

    await page.getByTestId('lockdown-reason').fill('Recipient verified with finance');
    await page.getByTestId('lockdown-release').click();

    await page.getByTestId('lockdown-active').filter({ hasText: 'No lockdown in force' }).waitFor();
    expect((await api(adminKey, 'GET', '/api/admin/lockdown')).body).toMatchObject({ active: false, tenants: [] });
    expect(consolePage.problems).toEqual([]);
  });

  it('/console: an auditor explores the ledger and verifies an inclusion proof in the browser', async () => {
    const { tenantId, agentKey } = await halm.createTenant('initech');
    const auditorKey = await halm.issueKey(tenantId, ['auditor']);
    const decisions = [];
    for (const request of [SMALL_PAYMENT, LARGE_PAYMENT, RECALIBRATION, SMALL_PAYMENT]) decisions.push(await decide(agentKey, request));
    // The tenant's first event is its default policy; then one per decision.
    const ledgerHeight = 1 + decisions.length;
    await eventually(async () => (((await api(auditorKey, 'GET', '/api/audit/events')).body['projectedHeight'] as number) >= ledgerHeight ? true : undefined), 10_000, 'every decision projected');

    await using consolePage = await openPage(browser, `${halm.gatewayUrl}/console`);
    const { page } = consolePage;
    await signIn(page, auditorKey);
    await page.getByTestId('tab-ledger').click();
    await page.getByTestId(`event-${ledgerHeight}`).waitFor();
    expect(await page.getByTestId('event-1').locator('code').textContent()).toBe('PolicyPublished');
    expect(await page.getByTestId('event-3').locator('code').textContent()).toBe('DecisionRecorded');

    await page.getByTestId('proof-3').click();

    const verdict = page.getByTestId('proof-verdict');
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(/^Verified against checkpoint of size \d+$/);
    for (const check of ['check-event-hash', 'check-leaf-hash', 'check-root', 'check-signature']) {
      expect({ check, passed: await page.getByTestId(check).getAttribute('class') }).toEqual({ check, passed: 'check check-good' });
    }
    const { body: proof } = await api(auditorKey, 'GET', '/api/audit/events/3');
    expect(await page.getByTestId('proof-root').textContent()).toBe((proof['checkpoint'] as { rootHash: string }).rootHash);
    const treeSize = (proof['checkpoint'] as { treeSize: number }).treeSize;
    await page.getByTestId(`checkpoint-${treeSize}`).first().waitFor();
    await screenshot(page, 'console-ledger');

    // Incidents and replay: the integrity monitor's APIs, or a clear word that this gateway has none yet.
    await page.getByTestId('tab-incidents').click();
    await page.getByTestId('incidents-list').filter({ hasText: 'No incidents: every invariant has held.' }).waitFor();

    // Replay: every recorded decision evaluated again with the policy it recorded gives the same answer.
    await page.getByTestId('tab-replay').click();
    await page.getByTestId('replay-submit').click();
    await page.getByTestId('replay-total').waitFor();
    expect(await page.getByTestId('replay-total').textContent()).toBe(`${decisions.length} decisions replayed`);
    expect(await page.getByTestId('replay-pass').textContent()).toBe(`PASS ${decisions.length}`);
    expect(await page.getByTestId('replay-fail').textContent()).toBe('FAIL 0');
    expect(await page.getByTestId('replay-table').locator('tbody tr').count()).toBe(decisions.length);

    // What if payments above 100 needed a human: the two payments of 120 would have waited for one,
    // and the large one would have waited with the new rule's reason.
    await page.getByTestId('whatif-manifest').fill(DEFAULT_MANIFEST_SOURCE.replace('payload.amount > 10000', 'payload.amount > 100').replace('Amount above 10000', 'Amount above 100'));
    await page.getByTestId('whatif-submit').click();
    await page.getByTestId('whatif-changed').waitFor();
    expect(await page.getByTestId('whatif-examined').textContent()).toBe(`${decisions.length} decisions examined`);
    expect(await page.getByTestId('whatif-changed').textContent()).toBe('changed 3');
    expect(await page.getByTestId('whatif-table').locator('tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/ledger:write.*ALLOW.*REQUIRE_HUMAN.*Amount above 100 needs/),
      expect.stringMatching(/ledger:write.*REQUIRE_HUMAN.*Amount above 10000 needs.*REQUIRE_HUMAN.*Amount above 100 needs/),
      expect.stringMatching(/ledger:write.*ALLOW.*REQUIRE_HUMAN.*Amount above 100 needs/),
    ]);
    await screenshot(page, 'console-replay');
    expect(consolePage.problems).toEqual([]);
  });

  it('/console: refuses an unknown key, and shows an agent key only why each section is closed to it', async () => {
    const { agentKey } = await halm.createTenant('hooli');

    await using consolePage = await openPage(browser, `${halm.gatewayUrl}/console`);
    const { page } = consolePage;
    await page.getByTestId('login-key').fill('halm_not_a_key');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').filter({ hasText: 'unknown or revoked' }).waitFor();

    await signIn(page, agentKey);

    expect(await page.getByTestId('approvals-role-note').textContent()).toBe('This section needs the approver, admin or auditor role; this key has agent.');
    expect(await page.getByTestId('approvals-list').isVisible()).toBe(false);
    expect(await page.evaluate("sessionStorage.getItem('halm.console.apiKey')")).toBe(agentKey);
    await page.getByTestId('logout').click();
    await page.getByTestId('login-view').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('halm.console.apiKey')")).toBeNull();
    expect(consolePage.problems).toEqual([]);
  });

  it('/console: an incident the integrity monitor opened, with its evidence, and the event behind it verified in the ledger explorer', async () => {
    const { tenantId, agentKey } = await halm.createTenant('umbrella');
    const adminKey = await halm.issueKey(tenantId, ['admin', 'auditor']);
    const genuine = (await (await authorize(halm.gatewayUrl, agentKey, SMALL_PAYMENT)).json()) as { status: string; executionToken: string };
    const denied = await decide(agentKey, { ...SMALL_PAYMENT, context: { confidenceScore: 0.1 } });
    expect([genuine.status, denied.status]).toEqual(['ALLOW', 'DENY']);
    const forged = await forgeExecutionOf(tenantId, denied.proposalId, genuine.executionToken);

    const check = await api(adminKey, 'POST', '/api/admin/integrity/checks');
    expect(check.status).toBe(200);

    await using consolePage = await openPage(browser, `${halm.gatewayUrl}/console#incidents`);
    const { page } = consolePage;
    await signIn(page, adminKey);
    const { body } = await api(adminKey, 'GET', '/api/audit/incidents');
    const incident = (body['incidents'] as { incidentId: string; invariant: string }[]).find((candidate) => candidate.invariant === 'NO_SIDE_EFFECT_WITHOUT_ALLOW')!;
    const card = page.getByTestId(`incident-${incident.incidentId}`);
    await card.waitFor();
    expect(await card.locator('code').first().textContent()).toBe('NO_SIDE_EFFECT_WITHOUT_ALLOW');
    expect(await card.locator('.pill').first().textContent()).toBe('OPEN');
    await screenshot(page, 'console-incidents');

    await page.getByTestId(`evidence-${incident.incidentId}`).getByTestId(`evidence-${forged.height}`).click();

    expect(await page.getByTestId('tab-ledger').getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('proof-verdict').waitFor();
    expect(await page.getByTestId('proof-verdict').textContent()).toMatch(/^Verified against checkpoint of size \d+$/);
    expect(await page.getByTestId('proof-view').locator('h3').textContent()).toBe(`Event at height ${forged.height}`);
    expect(consolePage.problems).toEqual([]);
  });
});
