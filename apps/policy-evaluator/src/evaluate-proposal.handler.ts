import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { EvaluateReply, EvaluateRequest } from '@halm/contracts';
import { DEFAULT_MANIFEST, evaluate, initialState, manifestHash, type Manifest, type PolicyIdentity } from '@halm/domain';
import { RpcError } from '@halm/messaging';

/** Load → decide: the decision itself is the pure `evaluate`; this shell supplies manifest, state and time. */
@Controller()
export class EvaluateProposalHandler {
  private readonly manifest: Manifest = DEFAULT_MANIFEST;
  private readonly policy: PolicyIdentity = { version: DEFAULT_MANIFEST.version, hash: manifestHash(DEFAULT_MANIFEST) };

  @MessagePattern('policy.req.evaluate')
  evaluate(request: EvaluateRequest): EvaluateReply {
    if (!request?.proposal?.proposalId || !request.proposal.tenantId) throw new RpcError('BAD_REQUEST', 'proposal with proposalId and tenantId is required');
    return { decision: evaluate(request.proposal, this.manifest, this.policy, initialState(), new Date()) };
  }
}
