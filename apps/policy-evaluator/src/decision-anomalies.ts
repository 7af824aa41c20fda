import { Inject, Injectable } from '@nestjs/common';
import type { Decision, Proposal } from '@halm/contracts';
import { AnomalyReporter } from '@halm/messaging';
import { SETTINGS } from '@halm/platform';
import type { PolicyEvaluatorSettings } from './policy-evaluator.settings';
import { RepeatedDenialsWatch } from './repeated-denials';

const EVALUATOR = { kind: 'kernel', id: 'policy-evaluator' } as const;

/**
 * The anomalies a decision reveals, recorded in the tenant's ledger without holding up the
 * answer: a budget breach at critical level (which locks the tenant down) and an agent
 * denied again and again.
 */
@Injectable()
export class DecisionAnomalies {
  private readonly denials: RepeatedDenialsWatch;

  constructor(
    private readonly reporter: AnomalyReporter,
    @Inject(SETTINGS) private readonly settings: PolicyEvaluatorSettings,
  ) {
    this.denials = new RepeatedDenialsWatch({ threshold: settings.REPEATED_DENIALS_THRESHOLD, windowMs: settings.REPEATED_DENIALS_WINDOW_MS });
  }

  notice(proposal: Proposal, decision: Decision, now: Date): void {
    const { tenantId, proposalId } = proposal;
    const agentId = proposal.context?.agentId;
    if (decision.budgetLevel === 'CRITICAL') {
      const evidence = { proposalId, actionType: proposal.type, agentId: agentId ?? null, reasons: decision.reasons, matchedRules: decision.matchedRules, stateRead: decision.stateRead };
      // Named after the proposal: deciding it again (on fresh state) reports nothing more.
      void this.reporter.report(tenantId, 'BUDGET_CRITICAL', 'critical', evidence, EVALUATOR, `budget_${proposalId}`);
    }
    // Everything is denied during a lockdown: that says nothing about the agent. Denials without an agent id cannot be told apart.
    if (decision.status !== 'DENY' || decision.stateRead['lockdown'] === true || typeof agentId !== 'string') return;
    const streak = this.denials.denied(tenantId, agentId, proposalId, now);
    if (!streak) return;
    const evidence = { agentId, proposalIds: streak.proposalIds, threshold: this.settings.REPEATED_DENIALS_THRESHOLD, windowMs: this.settings.REPEATED_DENIALS_WINDOW_MS };
    void this.reporter.report(tenantId, 'REPEATED_DENIALS', 'warning', evidence, EVALUATOR, streak.anomalyId);
  }
}
