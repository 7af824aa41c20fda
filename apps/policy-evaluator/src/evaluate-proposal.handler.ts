import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { EvaluateReply, EvaluateRequest, TenantStateReply, TenantStateRequest, Topology } from '@halm/contracts';
import { compileManifest, DEFAULT_MANIFEST, evaluate, lockdownReasonFor, type CompiledManifest, type PolicyIdentity, type TenantState } from '@halm/domain';
import { LockdownState, RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import { SETTINGS } from '@halm/platform';
import { DecisionAnomalies } from './decision-anomalies';
import type { PolicyEvaluatorSettings } from './policy-evaluator.settings';

// Compiled manifests are immutable per hash; a bounded cache keeps a long-lived evaluator's memory flat.
const MAX_COMPILED = 1_000;
const MAX_CACHED_STATES = 10_000;

/** A tenant without a policy event yet decides on the default manifest, which the ledger records as version 1. */
const DEFAULT_POLICY: PolicyIdentity = { version: 1, hash: DEFAULT_MANIFEST.hash };

/**
 * Load → decide. The state comes from the ledger, which holds each tenant's policy in force
 * and its budget usage; the decision is the pure `evaluate`, with CEL compiled once per
 * manifest version. The ledger re-checks the budgets when it records the decision.
 */
@Controller()
export class EvaluateProposalHandler {
  private readonly compiled = new Map<string, CompiledManifest>([[DEFAULT_MANIFEST.hash, DEFAULT_MANIFEST]]);
  /** The hash each tenant's policy had last time: the ledger then need not send a manifest this cache holds. */
  private readonly lastHash = new Map<string, string>();
  /** Recent state readings by tenant and scope, each reused for STATE_CACHE_MS. */
  private readonly states = new Map<string, { reply: TenantStateReply; until: number }>();

  constructor(
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: PolicyEvaluatorSettings,
    private readonly lockdown: LockdownState,
    private readonly anomalies: DecisionAnomalies,
  ) {}

  @MessagePattern('policy.req.evaluate')
  async evaluate(request: EvaluateRequest): Promise<EvaluateReply> {
    const proposal = request?.proposal;
    if (!proposal?.proposalId || !proposal.tenantId) throw new RpcError('BAD_REQUEST', 'proposal with proposalId and tenantId is required');
    const now = new Date();
    const [lockdown, state] = await Promise.all([
      this.lockdownOf(proposal.tenantId),
      this.cachedState(proposal.tenantId, proposal.context?.agentId, proposal.context?.sessionId, now, request.fresh === true),
    ]);
    const manifest = state.policy ? await this.manifestOf(state.policy, proposal.tenantId, now) : DEFAULT_MANIFEST;
    const policy = state.policy ? { version: state.policy.version, hash: state.policy.hash } : DEFAULT_POLICY;
    const decision = evaluate(proposal, manifest, policy, { ...lockdown, budgets: state.budgets }, now);
    this.anomalies.notice(proposal, decision, now);
    return { decision };
  }

  /** Never from a cache of its own: a lockdown must deny the very next decision. Unknown state allows nothing (fail closed). */
  private async lockdownOf(tenantId: string): Promise<Pick<TenantState, 'lockdown' | 'lockdownReason'>> {
    try {
      const status = await this.lockdown.check(tenantId);
      return status.active ? { lockdown: true, lockdownReason: lockdownReasonFor(status.scope ?? 'tenant', status.reason ?? '') } : { lockdown: false };
    } catch (error) {
      throw new RpcError('UNAVAILABLE', `${(error as Error).message}; no decision can be taken`);
    }
  }

  private async cachedState(tenantId: string, agentId: string | undefined, sessionId: string | undefined, now: Date, fresh: boolean): Promise<TenantStateReply> {
    const key = `${tenantId}\u0000${agentId ?? ''}\u0000${sessionId ?? ''}`;
    const cached = this.states.get(key);
    if (!fresh && cached && cached.until > now.getTime()) return cached.reply;
    const knownHash = this.lastHash.get(tenantId);
    const reply = await this.tenantState(tenantId, agentId, sessionId, now, knownHash && this.compiled.has(knownHash) ? knownHash : undefined);
    if (reply.policy) this.lastHash.set(tenantId, reply.policy.hash);
    if (this.settings.STATE_CACHE_MS > 0) {
      if (this.states.size >= MAX_CACHED_STATES) this.states.clear();
      this.states.set(key, { reply, until: now.getTime() + this.settings.STATE_CACHE_MS });
    }
    return reply;
  }

  private tenantState(tenantId: string, agentId: string | undefined, sessionId: string | undefined, now: Date, knownHash?: string): Promise<TenantStateReply> {
    const request: TenantStateRequest = {
      tenantId,
      at: now.toISOString(),
      ...(agentId !== undefined ? { agentId } : {}),
      ...(sessionId !== undefined ? { sessionId } : {}),
      ...(knownHash !== undefined ? { knownHash } : {}),
    };
    return this.rpc.request<TenantStateRequest, TenantStateReply>(this.topology.tenantStateSubject, request, this.settings.STATE_TIMEOUT_MS);
  }

  private async manifestOf(policy: NonNullable<TenantStateReply['policy']>, tenantId: string, now: Date): Promise<CompiledManifest> {
    const cached = this.compiled.get(policy.hash);
    if (cached) return cached;
    // The ledger leaves the manifest out only when asked with a known hash, which this cache did not send.
    const document = policy.manifest ?? (await this.tenantState(tenantId, undefined, undefined, now)).policy?.manifest;
    const compilation = compileManifest(document as object);
    if (!compilation.ok) throw new RpcError('INTERNAL', `the manifest in force (version ${policy.version}) does not compile: ${compilation.errors[0]?.message}`);
    if (this.compiled.size >= MAX_COMPILED) this.compiled.delete(this.compiled.keys().next().value as string);
    this.compiled.set(policy.hash, compilation.manifest);
    return compilation.manifest;
  }
}
