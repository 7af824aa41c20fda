import { IsInt, Max, Min } from 'class-validator';
import { ServiceSettings } from '@halm/platform';

export class LedgerSettings extends ServiceSettings {
  /** Replicas of the ledger stream: 1 on one node, 3 on a JetStream cluster. */
  @IsInt({ message: 'must be 1, 3 or 5' })
  @Min(1, { message: 'must be 1, 3 or 5' })
  @Max(5, { message: 'must be 1, 3 or 5' })
  LEDGER_REPLICAS = 1;
}
