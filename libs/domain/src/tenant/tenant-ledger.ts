import type {
  BudgetCharge,
  BudgetLevel,
  Decision,
  ExecutionCompletedData,
  ExecutionStartedData,
  LedgerEvent,
  LockdownScope,
  Proposal,
} from '@halm/contracts';
import type { EventDraft } from '../ledger/hash-chain';
import { manifestHash, parseDuration, type ManifestDocument } from '../policy/manifest';
import { checkTransition, EXECUTABLE_LIFECYCLES, evolveProposal, OPEN_LIFECYCLES, proposalIdOf, type ProposalState, type TransitionCheck } from '../proposals/proposal-lifecycle';

/** A published manifest version as the ledger recorded it. */
export interface PolicyVersionRecord {
  version: number;
  hash: string;
  manifest: ManifestDocument;
  publishedAt: string;
}

/** One activation of a policy version, with the version it replaced. */
export interface PolicyActivationRecord {
  version: number;
  previousVersion: number | null;
  activatedAt: string;
}

/** What a `policy:update` proposal asks for; the kernel itself carries it out once the proposal may execute. */
export type PolicyUpdatePayload =
  | { operation: 'publish'; manifest: ManifestDocument; hash: string }
  | { operation: 'activate'; version: number; hash: string };

/** What the kernel remembers of an execution: enough to refuse a second start and a second end. */
export interface ExecutionRecord {
  executionId: string;
  proposalId: string;
  idempotencyKey: string;
  completed: boolean;
}

/** A lockdown engaged in this tenant's chain and not released yet. */
export interface LockdownRecord {
  lockdownId: string;
  scope: LockdownScope;
  reason: string;
  engagedAt: string;
}

interface Charge {
  proposalId: string;
  amount: number;
  atMs: number;
}

const ok: TransitionCheck = { ok: true };
const refuse = (reason: string): TransitionCheck => ({ ok: false, reason });

/** The usage level a total reaches against a budget's thresholds. */
export const budgetLevelOf = (total: number, warning: number | undefined, critical: number): BudgetLevel =>
  total > critical ? 'CRITICAL' : warning !== undefined && total >= warning ? 'WARNING' : 'OK';

/**
 * What the kernel knows of one tenant from its ledger alone: the proposals still open, the
 * published policy versions and the one in force, and what each budget has counted. It is
 * a fold of the tenant's events (apply them in order), and it judges whether a new event
 * may follow them (check). No I/O, no clock: times come from the events.
 */
export class TenantLedger {
  private readonly open = new Map<string, ProposalState>();
  private readonly versions = new Map<number, PolicyVersionRecord>();
  private active: PolicyVersionRecord | null = null;
  private readonly activations: PolicyActivationRecord[] = [];
  private readonly charges = new Map<string, Charge[]>();
  /** The budget keys each proposal charged, so a release looks only at those lists. */
  private readonly chargedKeys = new Map<string, string[]>();
  /** policy:update proposals that may execute and whose effect is not in the ledger yet. */
  private readonly owedPolicyUpdates = new Map<string, PolicyUpdatePayload>();
  /** policy:update proposals still waiting for a human or a veto window. */
  private readonly heldPolicyUpdates = new Map<string, PolicyUpdatePayload>();
  private longestWindowMs = 0;
  /** Proposals that may execute and have not started, with the hash of the event that made them executable. */
  private readonly executable = new Map<string, string>();
  /** Open proposals of type policy:update: the kernel carries those out itself, never an executor. */
  private readonly openPolicyUpdates = new Set<string>();
  /** Every execution, and the one each executed proposal had: a proposal executes once. */
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly executionOfProposal = new Map<string, string>();
  private readonly lockdowns = new Map<string, LockdownRecord>();
  /** Lockdown ids released already: a late retry of their engage must not lock the tenant again. */
  private readonly releasedLockdowns = new Set<string>();

  constructor(readonly tenantId: string) {}

  /** The lockdowns in force for this tenant, its own and global ones, oldest first. */
  activeLockdowns(): LockdownRecord[] {
    return [...this.lockdowns.values()];
  }

  execution(executionId: string): ExecutionRecord | undefined {
    return this.executions.get(executionId);
  }

  /** The hash an execution token for this proposal must name, while the proposal may still start an execution. */
  executableHash(proposalId: string): string | undefined {
    return this.executable.get(proposalId);
  }

  activePolicy(): PolicyVersionRecord | null {
    return this.active;
  }

  policyVersion(version: number): PolicyVersionRecord | undefined {
    return this.versions.get(version);
  }

  publishedVersions(): PolicyVersionRecord[] {
    return [...this.versions.values()].sort((a, b) => a.version - b.version);
  }

  /** Every activation, oldest first: the last one is in force, its `previousVersion` is where a rollback goes. */
  activationHistory(): readonly PolicyActivationRecord[] {
    return this.activations;
  }

  latestVersion(): number {
    return this.versions.size === 0 ? 0 : Math.max(...this.versions.keys());
  }

  openProposal(proposalId: string): ProposalState | undefined {
    return this.open.get(proposalId);
  }

  /**
   * The sum a budget has counted for a scope key in the window that ends at `at`, and every
   * charge recorded after `at` as well: a decision taken a moment before others were recorded
   * must still see them, or concurrent decisions would overspend.
   */
  usage(budgetId: string, scopeKey: string, windowSeconds: number, at: Date): number {
    const since = at.getTime() - windowSeconds * 1000;
    let total = 0;
    for (const charge of this.charges.get(`${budgetId}\u0000${scopeKey}`) ?? []) if (charge.atMs > since) total += charge.amount;
    return total;
  }

  /** Whether `draft` may be appended after everything applied so far. */
  check(draft: Pick<EventDraft, 'type' | 'data' | 'recordedAt'>): TransitionCheck {
    switch (draft.type) {
      case 'DecisionRecorded':
        return this.checkDecision(draft.data as { proposal: Proposal; decision: Decision }, new Date(draft.recordedAt));
      case 'ExecutionStarted':
        return this.checkExecutionStart(draft.data as ExecutionStartedData);
      case 'ExecutionCompleted': {
        const { executionId } = draft.data as ExecutionCompletedData;
        const execution = this.executions.get(executionId);
        if (!execution) return refuse(`execution ${executionId} was never started`);
        return execution.completed ? refuse(`execution ${executionId} has ended already`) : ok;
      }
      case 'LockdownEngaged': {
        const { lockdownId } = draft.data as { lockdownId: string };
        if (this.releasedLockdowns.has(lockdownId)) return refuse(`lockdown ${lockdownId} was released already`);
        return this.lockdowns.has(lockdownId) ? refuse(`lockdown ${lockdownId} is engaged already`) : ok;
      }
      case 'LockdownReleased': {
        const { lockdownId } = draft.data as { lockdownId: string };
        return this.lockdowns.has(lockdownId) ? ok : refuse(`lockdown ${lockdownId} is not in force`);
      }
      case 'AnomalyRecorded':
      case 'IntegrityCheckRecorded':
        return ok;
      case 'PolicyPublished': {
        const { version, hash, manifest } = draft.data as { version: number; hash: string; manifest: ManifestDocument };
        if (version !== this.latestVersion() + 1) return refuse(`the next policy version is ${this.latestVersion() + 1}, not ${version}`);
        return manifestHash(manifest) === hash ? ok : refuse('the published manifest does not match its hash');
      }
      case 'PolicyActivated': {
        const { version, hash } = draft.data as { version: number; hash: string };
        const published = this.versions.get(version);
        if (!published) return refuse(`policy version ${version} was never published`);
        return published.hash === hash ? ok : refuse(`policy version ${version} has hash ${published.hash}, not ${hash}`);
      }
      default: {
        const proposalId = proposalIdOf(draft);
        return proposalId === undefined ? refuse('the event names no proposal') : checkTransition(this.open.get(proposalId), draft);
      }
    }
  }

  /**
   * A decision whose budget charges were computed on usage that has moved since must be
   * taken again: recording it would overspend, or state a level the budget is no longer at.
   */
  private checkDecision({ decision }: { proposal: Proposal; decision: Decision }, at: Date): TransitionCheck {
    // The evaluator reads the lockdown state too; this catches a decision taken the moment before it engaged.
    const lockdown = this.lockdowns.values().next().value as LockdownRecord | undefined;
    if (lockdown && decision.status === 'ALLOW') return refuse(`lockdown ${lockdown.lockdownId} is in force, nothing may be allowed: decide again`);
    if (this.active && decision.policy.version !== this.active.version) {
      return refuse(`policy version ${this.active.version} is in force, the decision used ${decision.policy.version}: decide again`);
    }
    const active = this.active?.manifest ?? null;
    for (const charge of decision.budgetCharges ?? []) {
      const budget = active?.budgets.find((candidate) => candidate.id === charge.budgetId);
      if (!budget) continue;
      const total = this.usage(charge.budgetId, charge.scopeKey, charge.windowSeconds, at) + charge.amount;
      const level = budgetLevelOf(total, budget.warning, budget.critical);
      if (level === 'CRITICAL') return refuse(`budget ${charge.budgetId} would reach ${total} of ${budget.critical}: decide again`);
      const recorded = (decision.stateRead['budgets'] as Record<string, { used?: number }> | undefined)?.[charge.budgetId]?.used;
      const recordedLevel = budgetLevelOf((recorded ?? 0) + charge.amount, budget.warning, budget.critical);
      if (level !== recordedLevel) return refuse(`budget ${charge.budgetId} moved to ${level} since the decision read it: decide again`);
    }
    return ok;
  }

  /**
   * An execution may start only for a proposal that may execute and never started one, under
   * the very event that made it executable, and never while a lockdown is in force: the
   * ledger's serialised appends make this the one place where racing executors are ordered.
   */
  private checkExecutionStart(data: ExecutionStartedData): TransitionCheck {
    const lockdown = this.lockdowns.values().next().value as LockdownRecord | undefined;
    if (lockdown) return { ok: false, code: 'LOCKDOWN_ACTIVE', reason: `lockdown ${lockdown.lockdownId} (${lockdown.scope}) is in force: ${lockdown.reason}` };
    if (this.executions.has(data.executionId)) return refuse(`execution ${data.executionId} has started already`);
    const earlier = this.executionOfProposal.get(data.proposalId);
    if (earlier) return { ok: false, code: 'TOKEN_ALREADY_USED', reason: `proposal ${data.proposalId} was executed already, by ${earlier}` };
    if (this.openPolicyUpdates.has(data.proposalId)) return { ok: false, code: 'NOT_EXECUTABLE', reason: 'the kernel carries out policy:update proposals itself' };
    const executableHash = this.executable.get(data.proposalId);
    if (executableHash === undefined) return { ok: false, code: 'NOT_EXECUTABLE', reason: `proposal ${data.proposalId} may not execute: unknown, denied, rejected, vetoed or still waiting` };
    if (executableHash !== data.decisionHash) {
      return { ok: false, code: 'NOT_EXECUTABLE', reason: `the token names decision ${data.decisionHash}, but proposal ${data.proposalId} became executable by ${executableHash}` };
    }
    return ok;
  }

  /**
   * Before a tenant's first decision the kernel records the default manifest as version 1
   * and activates it, so every decision names a version the ledger holds.
   */
  genesisEffects(defaultManifest: ManifestDocument): Pick<EventDraft, 'eventId' | 'type' | 'data'>[] {
    if (this.active) return [];
    const hash = manifestHash(defaultManifest);
    const by = { kind: 'kernel', id: 'ledger' };
    const activate = { eventId: 'policy.genesis.activated', type: 'PolicyActivated' as const, data: { version: 1, hash, previousVersion: null, by, proposalId: null } };
    if (this.versions.size > 0) return [activate];
    return [{ eventId: 'policy.genesis.published', type: 'PolicyPublished', data: { version: 1, hash, manifest: defaultManifest, by, proposalId: null } }, activate];
  }

  /** Events the kernel owes: the effect of each policy:update proposal that may now execute. */
  owedEffects(): Pick<EventDraft, 'eventId' | 'type' | 'data'>[] {
    return [...this.owedPolicyUpdates].map(([proposalId, update]) =>
      update.operation === 'publish'
        ? {
            eventId: `${proposalId}.effect`,
            type: 'PolicyPublished' as const,
            data: { version: this.latestVersion() + 1, hash: update.hash, manifest: update.manifest, by: { kind: 'kernel', id: 'ledger' }, proposalId },
          }
        : {
            eventId: `${proposalId}.effect`,
            type: 'PolicyActivated' as const,
            data: { version: update.version, hash: update.hash, previousVersion: this.active?.version ?? null, by: { kind: 'kernel', id: 'ledger' }, proposalId },
          },
    );
  }

  /** Folds one event in; `hash` is needed from the events that make a proposal executable, which tokens name. */
  apply(event: Pick<LedgerEvent, 'type' | 'data' | 'recordedAt'> & { hash?: string }): void {
    switch (event.type) {
      case 'ExecutionStarted': {
        const { executionId, proposalId, idempotencyKey } = event.data as ExecutionStartedData;
        this.executions.set(executionId, { executionId, proposalId, idempotencyKey, completed: false });
        this.executionOfProposal.set(proposalId, executionId);
        this.executable.delete(proposalId);
        return;
      }
      case 'ExecutionCompleted': {
        const execution = this.executions.get((event.data as ExecutionCompletedData).executionId);
        if (execution) execution.completed = true;
        return;
      }
      case 'LockdownEngaged': {
        const { lockdownId, scope, reason } = event.data as { lockdownId: string; scope: LockdownScope; reason: string };
        this.lockdowns.set(lockdownId, { lockdownId, scope, reason, engagedAt: event.recordedAt });
        return;
      }
      case 'LockdownReleased': {
        const { lockdownId } = event.data as { lockdownId: string };
        this.lockdowns.delete(lockdownId);
        this.releasedLockdowns.add(lockdownId);
        return;
      }
      case 'AnomalyRecorded':
      case 'IntegrityCheckRecorded':
        return;
      case 'PolicyPublished': {
        const { version, hash, manifest, proposalId } = event.data as { version: number; hash: string; manifest: ManifestDocument; proposalId: string | null };
        this.versions.set(version, { version, hash, manifest, publishedAt: event.recordedAt });
        for (const budget of manifest.budgets) this.longestWindowMs = Math.max(this.longestWindowMs, (parseDuration(budget.window) ?? 0) * 1000);
        if (proposalId !== null) this.owedPolicyUpdates.delete(proposalId);
        return;
      }
      case 'PolicyActivated': {
        const { version, proposalId } = event.data as { version: number; proposalId: string | null };
        this.activations.push({ version, previousVersion: this.active?.version ?? null, activatedAt: event.recordedAt });
        this.active = this.versions.get(version) ?? this.active;
        if (proposalId !== null) this.owedPolicyUpdates.delete(proposalId);
        return;
      }
      case 'DecisionRecorded':
        this.applyDecision(event.data as { proposal: Proposal; decision: Decision }, Date.parse(event.recordedAt));
        break;
      default:
        break;
    }
    const proposalId = proposalIdOf(event);
    if (proposalId === undefined) return;
    const next = evolveProposal(this.open.get(proposalId), event);
    if (next && OPEN_LIFECYCLES.includes(next.lifecycle)) this.open.set(proposalId, next);
    else this.open.delete(proposalId);
    const kernelRun = this.openPolicyUpdates.has(proposalId) || (event.data as { proposal?: Proposal }).proposal?.type === 'policy:update';
    if (next && EXECUTABLE_LIFECYCLES.includes(next.lifecycle) && !kernelRun) this.executable.set(proposalId, event.hash ?? '');
    if (next && OPEN_LIFECYCLES.includes(next.lifecycle) && kernelRun) this.openPolicyUpdates.add(proposalId);
    else this.openPolicyUpdates.delete(proposalId);
    if (event.type === 'ProposalRejected' || event.type === 'ProposalVetoed') this.release(proposalId);
    // Only an open proposal's charges can ever be given back: forget which lists a settled one charged.
    if (!(next && OPEN_LIFECYCLES.includes(next.lifecycle))) this.chargedKeys.delete(proposalId);
    const held = this.heldPolicyUpdates.get(proposalId);
    if (held && next && !OPEN_LIFECYCLES.includes(next.lifecycle)) {
      this.heldPolicyUpdates.delete(proposalId);
      if (EXECUTABLE_LIFECYCLES.includes(next.lifecycle)) this.owedPolicyUpdates.set(proposalId, held);
    }
  }

  private applyDecision({ proposal, decision }: { proposal: Proposal; decision: Decision }, atMs: number): void {
    for (const charge of decision.budgetCharges ?? []) this.charge(charge, proposal.proposalId, atMs);
    if (proposal.type !== 'policy:update') return;
    const update = proposal.payload as unknown as PolicyUpdatePayload;
    // A payload that could never take effect (a manifest that is not the one hashed, a version never published) is owed nothing.
    if (!this.canTakeEffect(update)) return;
    if (decision.status === 'ALLOW') this.owedPolicyUpdates.set(proposal.proposalId, update);
    else if (decision.status === 'REQUIRE_HUMAN' || decision.status === 'HELD_FOR_VETO') this.heldPolicyUpdates.set(proposal.proposalId, update);
  }

  private canTakeEffect(update: PolicyUpdatePayload): boolean {
    if (update?.operation === 'publish') return typeof update.manifest === 'object' && update.manifest !== null && manifestHash(update.manifest) === update.hash;
    if (update?.operation === 'activate') return this.versions.get(update.version)?.hash === update.hash;
    return false;
  }

  private charge(charge: BudgetCharge, proposalId: string, atMs: number): void {
    const key = `${charge.budgetId}\u0000${charge.scopeKey}`;
    const list = this.charges.get(key) ?? [];
    // Charges older than every window can never count again: drop them so memory follows the windows, not history.
    const horizon = atMs - Math.max(this.longestWindowMs, charge.windowSeconds * 1000);
    while (list.length > 0 && (list[0] as Charge).atMs <= horizon) list.shift();
    list.push({ proposalId, amount: charge.amount, atMs });
    this.charges.set(key, list);
    const keys = this.chargedKeys.get(proposalId);
    if (keys) keys.push(key);
    else this.chargedKeys.set(proposalId, [key]);
  }

  private release(proposalId: string): void {
    for (const key of this.chargedKeys.get(proposalId) ?? []) {
      const list = this.charges.get(key);
      if (list) this.charges.set(key, list.filter((charge) => charge.proposalId !== proposalId));
    }
    this.chargedKeys.delete(proposalId);
  }
}
