import { compileManifest } from './compile-manifest';
import type { CompiledManifest } from './manifest';

/** What every new tenant gets until it publishes its own manifest; docs/policy-manifests.md explains each rule. */
export const DEFAULT_MANIFEST_SOURCE = `# Halm's default policy manifest for a new tenant.
version: 1
description: Default policy for new tenants
autoCommitThreshold: 0.8

rules:
  # An agent this unsure should not act at all, whatever the action.
  - id: deny-very-low-confidence
    actionTypes: ["*"]
    effect: DENY
    when: has(context.confidenceScore) && context.confidenceScore < 0.3
    reason: Confidence is below the floor of 0.3 for any action

  - id: large-payment-needs-human
    actionTypes: [ledger:write]
    effect: REQUIRE_HUMAN
    when: payload.amount > 10000
    reason: Amount above 10000 needs a human approver

  # Changing the policy is itself governed by the policy.
  - id: policy-change-needs-human
    actionTypes: [policy:update]
    effect: REQUIRE_HUMAN
    reason: Policy changes need a human approver

  - id: recalibration-veto-window
    actionTypes: [recalibrate:propose]
    effect: HELD_FOR_VETO
    vetoWindow: 1h
    reason: Model recalibrations wait one hour for a veto

  - id: standard-actions
    actionTypes: ["*"]
    effect: ALLOW
    reason: Action complies with active policy manifest

  # Secrets are harder to take back than most actions: they need more confidence to go ahead alone.
  - id: vault-write-confidence
    actionTypes: [vault:write]
    effect: ALLOW
    minConfidence: 0.9
    reason: Secret writes need a confidence of at least 0.9 to commit alone

budgets:
  # Spend per agent over a sliding day; a request without an agentId counts as agent "unknown".
  - id: daily-payments
    actionTypes: [ledger:write]
    scope: agent
    window: 24h
    amount: double(payload.amount)
    warning: 75000
    critical: 100000
`;

const compiled = compileManifest(DEFAULT_MANIFEST_SOURCE);
if (!compiled.ok) throw new Error(`the default manifest does not compile: ${JSON.stringify(compiled.errors)}`);

export const DEFAULT_MANIFEST: CompiledManifest = compiled.manifest;
