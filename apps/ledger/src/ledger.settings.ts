import { IsIn } from 'class-validator';
import { DatabaseServiceSettings, WholeNumber } from '@halm/platform';

/** The ledger also projects its stream into PostgreSQL, so it needs DATABASE_URL. */
export class LedgerSettings extends DatabaseServiceSettings {
  /** Replicas of the ledger stream: 1 on one node, 3 on a JetStream cluster. */
  // An even count adds a replica without adding a failure it survives.
  @IsIn([1, 3, 5], { message: 'must be 1, 3 or 5' })
  LEDGER_REPLICAS = 1;

  /** How often due veto windows are looked for: a window's end is recorded at most this long after its deadline. */
  @WholeNumber(50, 60_000, 'milliseconds')
  VETO_SWEEP_MS = 1_000;
}
