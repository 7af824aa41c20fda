import type { Actor, Decision, LedgerEvent, LedgerEventType, LockdownScope, Proposal, ProposalContext } from '@halm/contracts';
import { chain, EMPTY_HEAD, type ChainHead, type EventDraft } from '../ledger/hash-chain';
import { compileManifest } from '../policy/compile-manifest';
import { DEFAULT_MANIFEST } from '../policy/default-manifest';
import { evaluate, lockdownReasonFor, type PolicyIdentity, type TenantState } from '../policy/evaluate';
import { parseDuration, type CompiledManifest, type ManifestDocument } from '../policy/manifest';
import { TenantLedger } from '../tenant/tenant-ledger';

/** What an agent asks, before the gateway names and stamps it. */
export interface SimulatedRequest {
  proposalId: string;
  type: Proposal['type'];
  payload: Record<string, unknown>;
  context?: ProposalContext;
  justification?: string;
}

/** What the evaluator reads before deciding: the policy in force and the tenant's state. */
export interface KernelReading {
  manifest: CompiledManifest;
  policy: PolicyIdentity;
  state: TenantState;
}

// The gateway asks again this often when the ledger refuses a decision as stale.
const MAX_DECISION_ATTEMPTS = 8;

const APPROVER: Actor = { kind: 'key', id: 'key_simulated_approver' };

/**
 * One tenant's ledger written the way the running kernel writes it, in one process and
 * without I/O: the gateway names the proposal; the evaluator reads the policy in force, the
 * budgets' usage (as the ledger answers tenant-state) and the lockdown, and decides with
 * `evaluate`; the ledger checks the decision against its fold, chains it, and appends what it
 * owes (the default policy first, the effect of each policy change). For tests and benchmarks
 * of what reads a ledger, replay above all: its histories are honest by construction.
 */
export class SimulatedKernel {
  readonly events: LedgerEvent[] = [];
  private readonly ledger: TenantLedger;
  private head: ChainHead = EMPTY_HEAD;
  private readonly compiled = new Map<string, CompiledManifest>();
  private nextId = 1;

  constructor(
    readonly tenantId: string,
    private readonly defaultManifest: CompiledManifest = DEFAULT_MANIFEST,
  ) {
    this.ledger = new TenantLedger(tenantId);
  }

  /** The state the evaluator would read now: what a decision taken on a reading a moment old saw. */
  read(request: SimulatedRequest, at: Date): KernelReading {
    const active = this.ledger.activePolicy();
    if (!active) return { manifest: this.defaultManifest, policy: { version: 1, hash: this.defaultManifest.hash }, state: { ...this.lockdownState(), budgets: {} } };
    const budgets: Record<string, { used: number }> = {};
    for (const budget of active.manifest.budgets) {
      const scopeKey = budget.scope === 'tenant' ? this.tenantId : ((budget.scope === 'agent' ? request.context?.agentId : request.context?.sessionId) ?? 'unknown');
      budgets[budget.id] = { used: this.ledger.usage(budget.id, scopeKey, parseDuration(budget.window) ?? 0, at) };
    }
    return { manifest: this.compiledOf(active.manifest, active.hash), policy: { version: active.version, hash: active.hash }, state: { ...this.lockdownState(), budgets } };
  }

  /**
   * Decides and records a proposal at `at`. With `reading`, the first attempt decides on that
   * reading, as an evaluator with a cached or concurrent one does; when the ledger refuses the
   * decision as stale, it is decided again on a fresh reading, as the gateway does.
   */
  authorize(request: SimulatedRequest, at: Date, reading?: KernelReading): Decision {
    const proposal: Proposal = {
      proposalId: request.proposalId,
      tenantId: this.tenantId,
      type: request.type,
      payload: request.payload,
      ...(request.justification !== undefined ? { justification: request.justification } : {}),
      context: request.context ?? {},
      submittedAt: at.toISOString(),
    };
    for (let attempt = 1; attempt <= MAX_DECISION_ATTEMPTS; attempt += 1) {
      const { manifest, policy, state } = attempt === 1 && reading ? reading : this.read(request, at);
      const decision = evaluate(proposal, manifest, policy, state, at);
      const draft = { eventId: `${proposal.proposalId}.decision`, type: 'DecisionRecorded' as const, recordedAt: decision.decidedAt, data: { proposal, decision } };
      for (const effect of this.ledger.genesisEffects(this.defaultManifest.document)) this.append({ ...effect, recordedAt: draft.recordedAt });
      if (!this.ledger.check(draft).ok) continue;
      this.append(draft);
      this.appendOwed(draft.recordedAt);
      return decision;
    }
    throw new Error(`the ledger kept refusing the decision on ${proposal.proposalId}`);
  }

  approve(proposalId: string, at: Date, reason = 'reviewed'): void {
    this.record('ProposalApproved', `${proposalId}.approved`, { proposalId, by: APPROVER, reason }, at);
  }

  reject(proposalId: string, at: Date, reason = 'not now'): void {
    this.record('ProposalRejected', `${proposalId}.rejected`, { proposalId, by: APPROVER, reason }, at);
  }

  veto(proposalId: string, at: Date, reason = 'vetoed'): void {
    this.record('ProposalVetoed', `${proposalId}.vetoed`, { proposalId, by: APPROVER, reason }, at);
  }

  /** The veto window's end, recorded at the deadline as the ledger's sweep records it. */
  elapse(proposalId: string): void {
    const deadline = this.ledger.openProposal(proposalId)?.vetoDeadline;
    if (!deadline) throw new Error(`proposal ${proposalId} is not held for veto`);
    this.record('VetoWindowElapsed', `${proposalId}.veto-window-elapsed`, { proposalId, vetoDeadline: deadline }, new Date(deadline));
  }

  engageLockdown(lockdownId: string, reason: string, at: Date, scope: LockdownScope = 'tenant'): void {
    this.record('LockdownEngaged', `${lockdownId}.engaged`, { lockdownId, scope, trigger: 'MANUAL', reason, by: APPROVER, evidence: {} }, at);
  }

  releaseLockdown(lockdownId: string, reason: string, at: Date): void {
    const engaged = this.ledger.activeLockdowns().find((lockdown) => lockdown.lockdownId === lockdownId);
    this.record('LockdownReleased', `${lockdownId}.released`, { lockdownId, scope: engaged?.scope ?? 'tenant', reason, by: APPROVER }, at);
  }

  /**
   * Publishes `manifest` and puts it in force through policy:update proposals, as the policy
   * routes do, approving each one that waits for a human. Answers the version it got.
   */
  changePolicy(manifest: ManifestDocument | string, at: Date): number {
    const compilation = compileManifest(manifest);
    if (!compilation.ok) throw new Error(`the manifest does not compile: ${compilation.errors[0]?.message}`);
    const { document, hash } = compilation.manifest;
    this.carryOut({ operation: 'publish', manifest: document, hash }, at);
    const version = this.ledger.publishedVersions().filter((published) => published.hash === hash).at(-1)?.version;
    if (version === undefined) throw new Error('the manifest was not published');
    this.carryOut({ operation: 'activate', version, hash }, at);
    return version;
  }

  private carryOut(payload: Record<string, unknown>, at: Date): void {
    const proposalId = `prop_policy_${this.nextId++}`;
    const decision = this.authorize({ proposalId, type: 'policy:update', payload, context: { confidenceScore: 1, agentId: APPROVER.id } }, at);
    if (decision.status === 'REQUIRE_HUMAN') this.approve(proposalId, at);
    else if (decision.status === 'HELD_FOR_VETO') this.elapse(proposalId);
    else if (decision.status === 'DENY') throw new Error(`the policy in force denies the change: ${decision.reasons.join('; ')}`);
  }

  private lockdownState(): Pick<TenantState, 'lockdown' | 'lockdownReason'> {
    const lockdown = this.ledger.activeLockdowns()[0];
    return lockdown ? { lockdown: true, lockdownReason: lockdownReasonFor(lockdown.scope, lockdown.reason) } : { lockdown: false };
  }

  private compiledOf(document: ManifestDocument, hash: string): CompiledManifest {
    let compiled = this.compiled.get(hash);
    if (!compiled) {
      const compilation = compileManifest(document);
      if (!compilation.ok) throw new Error(`a published manifest does not compile: ${compilation.errors[0]?.message}`);
      compiled = compilation.manifest;
      this.compiled.set(hash, compiled);
    }
    return compiled;
  }

  private record(type: LedgerEventType, eventId: string, data: unknown, at: Date): void {
    this.append({ eventId, type, data, recordedAt: at.toISOString() });
    this.appendOwed(at.toISOString());
  }

  private appendOwed(recordedAt: string): void {
    for (let effect = this.ledger.owedEffects()[0]; effect; effect = this.ledger.owedEffects()[0]) this.append({ ...effect, recordedAt });
  }

  private append(draft: Omit<EventDraft, 'tenantId'>): void {
    const check = this.ledger.check(draft);
    if (!check.ok) throw new Error(`the ledger refuses ${draft.type} ${draft.eventId}: ${check.reason}`);
    const event = chain(this.head, { ...draft, tenantId: this.tenantId });
    this.ledger.apply(event);
    this.head = { height: event.height, hash: event.hash };
    this.events.push(event);
  }
}
