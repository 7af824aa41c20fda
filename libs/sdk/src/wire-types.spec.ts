import {
  ACTION_TYPES as CONTRACT_ACTION_TYPES,
  DECISION_STATUSES as CONTRACT_DECISION_STATUSES,
  type AuthorizeResponse as ContractAuthorizeResponse,
  type ExecutionView as ContractExecutionView,
  type ProposalContext as ContractProposalContext,
} from '@halm/contracts';
import { OPEN_LIFECYCLES as DOMAIN_OPEN_LIFECYCLES, PROPOSAL_LIFECYCLES as DOMAIN_PROPOSAL_LIFECYCLES } from '@halm/domain';
import { ACTION_TYPES, DECISION_STATUSES, OPEN_LIFECYCLES, PROPOSAL_LIFECYCLES, type AuthorizeResponse, type ExecutionView, type ProposalContext } from './wire-types';

// The SDK declares the wire types again so that it has no runtime dependency; these checks
// fail the type check when they drift from the kernel's own.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;

export type WireTypeChecks = [
  Expect<Same<ExecutionView, ContractExecutionView>>,
  Expect<Same<ProposalContext, ContractProposalContext>>,
  // The SDK's answer is the narrower union (a token exactly when allowed) of the same fields.
  Expect<AuthorizeResponse extends ContractAuthorizeResponse ? true : false>,
  Expect<Same<keyof Required<AuthorizeResponse>, keyof Required<ContractAuthorizeResponse>>>,
];

describe('the wire types the SDK declares', () => {
  it('name the same action types and decision statuses as the kernel', () => {
    expect(ACTION_TYPES).toEqual(CONTRACT_ACTION_TYPES);
    expect(DECISION_STATUSES).toEqual(CONTRACT_DECISION_STATUSES);
  });

  it('name the same proposal lifecycles, and the same open ones, as the kernel', () => {
    expect(PROPOSAL_LIFECYCLES).toEqual(DOMAIN_PROPOSAL_LIFECYCLES);
    expect(OPEN_LIFECYCLES).toEqual(DOMAIN_OPEN_LIFECYCLES);
  });
});
