import { IsInt, Max, Min } from 'class-validator';
import { DatabaseServiceSettings } from '@halm/platform';

/** The ledger also projects its stream into PostgreSQL, so it needs DATABASE_URL. */
export class LedgerSettings extends DatabaseServiceSettings {
  /** Replicas of the ledger stream: 1 on one node, 3 on a JetStream cluster. */
  @IsInt({ message: 'must be 1, 3 or 5' })
  @Min(1, { message: 'must be 1, 3 or 5' })
  @Max(5, { message: 'must be 1, 3 or 5' })
  LEDGER_REPLICAS = 1;

  /** How often due veto windows are looked for: a window's end is recorded at most this long after its deadline. */
  @IsInt({ message: 'must be a whole number of milliseconds between 50 and 60000' })
  @Min(50, { message: 'must be a whole number of milliseconds between 50 and 60000' })
  @Max(60_000, { message: 'must be a whole number of milliseconds between 50 and 60000' })
  VETO_SWEEP_MS = 1_000;
}
