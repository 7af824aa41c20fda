import { IsInt, Max, Min } from 'class-validator';
import { ServiceSettings } from '@halm/platform';

export class PolicyEvaluatorSettings extends ServiceSettings {
  /** How long to wait for the ledger's answer on a tenant's policy and budget usage. */
  @IsInt({ message: 'must be a whole number of milliseconds between 10 and 60000' })
  @Min(10, { message: 'must be a whole number of milliseconds between 10 and 60000' })
  @Max(60_000, { message: 'must be a whole number of milliseconds between 10 and 60000' })
  STATE_TIMEOUT_MS = 2_000;
}
