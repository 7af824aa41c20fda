import type { ActionType, DecisionStatus, Proposal } from '@halm/contracts';
import type { TenantState } from '@halm/domain';

/** One request as the evaluator sees it: the proposal, the tenant state the shell loaded, and the decision the default manifest gives. */
export interface PolicyRequest {
  label: string;
  proposal: Proposal;
  state: TenantState;
  expected: DecisionStatus;
}

interface RequestSpec {
  label: string;
  type: ActionType;
  payload?: Record<string, unknown>;
  /** Omitted: the agent gave no score. */
  confidence?: number;
  /** What agent-7 already spent against `daily-payments` in the window. */
  dailyPaymentsUsed?: number;
  lockdown?: boolean;
  expected: DecisionStatus;
}

// Payloads that pass the gateway's validation for their type (libs/contracts/src/action-payloads.ts).
const HASH = 'a'.repeat(64);
const VAULT = { path: 'secrets/acme/api-token', operation: 'rotate' };
const TASK = { title: 'Follow up with acme' };

const request = (spec: RequestSpec, index: number): PolicyRequest => {
  const context: Proposal['context'] = { sessionId: 'session-42', agentId: 'agent-7' };
  if (spec.confidence !== undefined) context.confidenceScore = spec.confidence;
  return {
    label: spec.label,
    proposal: {
      proposalId: `prop_bench_${index}`,
      tenantId: 'tenant-bench',
      type: spec.type,
      payload: spec.payload ?? {},
      justification: 'benchmark request',
      context,
      submittedAt: '2026-01-01T00:00:00.000Z',
    },
    state: { lockdown: spec.lockdown ?? false, budgets: spec.dailyPaymentsUsed === undefined ? {} : { 'daily-payments': { used: spec.dailyPaymentsUsed } } },
    expected: spec.expected,
  };
};

/**
 * The timed mix: every status and every rule of the default manifest, each request once per
 * pass. Both engines get exactly these requests, in this order.
 */
export const MIX: readonly PolicyRequest[] = (
  [
    { label: 'quickstart: ledger:write 120 at 0.92', type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, confidence: 0.92, expected: 'ALLOW' },
    { label: 'ledger:write 50,000 at 0.95', type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' }, confidence: 0.95, expected: 'REQUIRE_HUMAN' },
    { label: 'ledger:write 120 at 0.2', type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, confidence: 0.2, expected: 'DENY' },
    { label: 'ledger:write 5,000 at 0.92, 96,000 spent today', type: 'ledger:write', payload: { amount: 5_000, recipient: 'acme' }, confidence: 0.92, dailyPaymentsUsed: 96_000, expected: 'DENY' },
    { label: 'ledger:write 1,000 at 0.92, 80,000 spent today (warning)', type: 'ledger:write', payload: { amount: 1_000, recipient: 'acme' }, confidence: 0.92, dailyPaymentsUsed: 80_000, expected: 'ALLOW' },
    { label: 'policy:update at 0.95', type: 'policy:update', payload: { operation: 'activate', version: 3, hash: HASH }, confidence: 0.95, expected: 'REQUIRE_HUMAN' },
    { label: 'recalibrate:propose at 0.9', type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { windowDays: 7 } }, confidence: 0.9, expected: 'HELD_FOR_VETO' },
    { label: 'task:create at 0.85', type: 'task:create', payload: TASK, confidence: 0.85, expected: 'ALLOW' },
    { label: 'task:create at 0.5', type: 'task:create', payload: TASK, confidence: 0.5, expected: 'REQUIRE_HUMAN' },
    { label: 'vault:write at 0.95', type: 'vault:write', payload: VAULT, confidence: 0.95, expected: 'ALLOW' },
    { label: 'vault:write at 0.85', type: 'vault:write', payload: VAULT, confidence: 0.85, expected: 'REQUIRE_HUMAN' },
    { label: 'webhook:send without a confidence', type: 'webhook:send', payload: { url: 'https://example.com/hook', event: 'invoice.paid' }, expected: 'REQUIRE_HUMAN' },
  ] satisfies RequestSpec[]
).map(request);

/** Checked for equivalence before timing, not timed: the boundaries of every condition. */
export const EDGE_CASES: readonly PolicyRequest[] = (
  [
    { label: 'lockdown: ledger:write 120 at 0.92', type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, confidence: 0.92, lockdown: true, expected: 'DENY' },
    { label: 'lockdown: task:create at 0.99', type: 'task:create', payload: TASK, confidence: 0.99, lockdown: true, expected: 'DENY' },
    { label: 'task:create at exactly 0.8', type: 'task:create', payload: TASK, confidence: 0.8, expected: 'ALLOW' },
    { label: 'task:create at 0.7999', type: 'task:create', payload: TASK, confidence: 0.7999, expected: 'REQUIRE_HUMAN' },
    { label: 'task:create at 0.79999999', type: 'task:create', payload: TASK, confidence: 0.79999999, expected: 'REQUIRE_HUMAN' },
    { label: 'dialogue:commit at exactly 0.3', type: 'dialogue:commit', payload: { commitment: 'Refund by Friday' }, confidence: 0.3, expected: 'REQUIRE_HUMAN' },
    { label: 'dialogue:commit at 0.29999', type: 'dialogue:commit', payload: { commitment: 'Refund by Friday' }, confidence: 0.29999, expected: 'DENY' },
    { label: 'voice:respond at 0', type: 'voice:respond', payload: { text: 'Hello' }, confidence: 0, expected: 'DENY' },
    { label: 'session:write at 1', type: 'session:write', payload: { key: 'step', value: 3 }, confidence: 1, expected: 'ALLOW' },
    { label: 'vault:write at exactly 0.9', type: 'vault:write', payload: VAULT, confidence: 0.9, expected: 'ALLOW' },
    { label: 'vault:write without a confidence', type: 'vault:write', payload: VAULT, expected: 'REQUIRE_HUMAN' },
    { label: 'ledger:write exactly 10,000 at 0.92', type: 'ledger:write', payload: { amount: 10_000, recipient: 'acme' }, confidence: 0.92, expected: 'ALLOW' },
    { label: 'ledger:write 10,001 at 0.92', type: 'ledger:write', payload: { amount: 10_001, recipient: 'acme' }, confidence: 0.92, expected: 'REQUIRE_HUMAN' },
    { label: 'ledger:write 50,000 at 0.2', type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' }, confidence: 0.2, expected: 'DENY' },
    { label: 'ledger:write 50,000 at 0.5', type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' }, confidence: 0.5, expected: 'REQUIRE_HUMAN' },
    { label: 'ledger:write 120 reaching exactly the critical 100,000', type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, confidence: 0.92, dailyPaymentsUsed: 99_880, expected: 'ALLOW' },
    { label: 'ledger:write 121 one past the critical 100,000', type: 'ledger:write', payload: { amount: 121, recipient: 'acme' }, confidence: 0.92, dailyPaymentsUsed: 99_880, expected: 'DENY' },
    { label: 'ledger:write 20,000 past critical and large', type: 'ledger:write', payload: { amount: 20_000, recipient: 'acme' }, confidence: 0.92, dailyPaymentsUsed: 90_000, expected: 'DENY' },
    { label: 'ledger:write without an amount', type: 'ledger:write', payload: { recipient: 'acme' }, confidence: 0.92, expected: 'DENY' },
    { label: 'policy:update without a confidence', type: 'policy:update', payload: { operation: 'activate', version: 3, hash: HASH }, expected: 'REQUIRE_HUMAN' },
    { label: 'policy:update at 0.1', type: 'policy:update', payload: { operation: 'activate', version: 3, hash: HASH }, confidence: 0.1, expected: 'DENY' },
    { label: 'recalibrate:propose at 0.5', type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { windowDays: 7 } }, confidence: 0.5, expected: 'HELD_FOR_VETO' },
    { label: 'recalibrate:propose at 0.25', type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { windowDays: 7 } }, confidence: 0.25, expected: 'DENY' },
  ] satisfies RequestSpec[]
).map((spec, index) => request(spec, 1000 + index));
