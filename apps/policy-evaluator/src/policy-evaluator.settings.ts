import { ServiceSettings, WholeNumber } from '@halm/platform';

export class PolicyEvaluatorSettings extends ServiceSettings {
  /** How long to wait for the ledger's answer on a tenant's policy and budget usage. */
  @WholeNumber(10, 60_000, 'milliseconds')
  STATE_TIMEOUT_MS = 2_000;
}
