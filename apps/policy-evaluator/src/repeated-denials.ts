import { createHash } from 'node:crypto';

export interface RepeatedDenialsRule {
  /** This many denials of one agent within `windowMs` are an anomaly. */
  threshold: number;
  windowMs: number;
}

export interface RepeatedDenials {
  tenantId: string;
  agentId: string;
  proposalIds: string[];
  /** Named after the tenant, the agent and the window it fell in: instances that notice the same streak report one anomaly. */
  anomalyId: string;
}

// Agents followed at once; past this the oldest is forgotten, so memory stays flat whatever agents send.
const MAX_AGENTS = 10_000;

/**
 * Counts each agent's denials over a sliding window, in this instance's memory: with several
 * evaluator instances each sees its share of the requests, so a streak is noticed later (or,
 * spread thin enough, not at all). The ledger holds every denial for a full count.
 */
export class RepeatedDenialsWatch {
  private readonly denials = new Map<string, { proposalId: string; at: number }[]>();

  constructor(private readonly rule: RepeatedDenialsRule) {}

  /** Notes a denial; answers the streak when this one makes it reach the threshold (then counting starts again). */
  denied(tenantId: string, agentId: string, proposalId: string, now: Date): RepeatedDenials | null {
    const key = `${tenantId}\u0000${agentId}`;
    const at = now.getTime();
    const recent = (this.denials.get(key) ?? []).filter((entry) => entry.at > at - this.rule.windowMs && entry.proposalId !== proposalId);
    recent.push({ proposalId, at });
    this.denials.delete(key);
    if (recent.length < this.rule.threshold) {
      if (this.denials.size >= MAX_AGENTS) this.denials.delete(this.denials.keys().next().value as string);
      this.denials.set(key, recent);
      return null;
    }
    const window = Math.floor(at / this.rule.windowMs);
    const anomalyId = `denials_${createHash('sha256').update(`${tenantId}:${agentId}:${window}`).digest('hex').slice(0, 32)}`;
    return { tenantId, agentId, proposalIds: recent.map((entry) => entry.proposalId), anomalyId };
  }
}
