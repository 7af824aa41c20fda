import { Transform } from 'class-transformer';
import { IsIn, IsString, Matches } from 'class-validator';
import { INCIDENT_STATUSES, TENANT_ID_PATTERN, type IncidentStatus } from '@halm/contracts';
import { Given, WholeNumberQuery } from '../field-rules';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 200;

const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

/** The query of `POST /api/admin/integrity/checks`. */
export class IntegrityCheckQuery {
  /** Examine the whole history again, not only what is new since the last check. */
  @Given()
  @Transform(toBoolean)
  @IsIn([true, false], { message: 'full must be true or false' })
  full?: boolean;

  /** Operator key only: the one tenant to check (all when absent). */
  @Given()
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be a tenant id (letters, digits, _ and -)' })
  @IsString({ message: 'tenantId must be a string' })
  tenantId?: string;
}

/** The query of `GET /api/audit/integrity/checks`. */
export class ListIntegrityRunsQuery {
  @Given()
  @WholeNumberQuery('limit', 1, MAX_PAGE)
  limit?: number;
}

/** The query of `GET /api/audit/incidents`. */
export class ListIncidentsQuery {
  @Given()
  @WholeNumberQuery('limit', 1, MAX_PAGE)
  limit?: number;

  @Given()
  @IsIn(INCIDENT_STATUSES, { message: `status must be one of: ${INCIDENT_STATUSES.join(', ')}` })
  status?: IncidentStatus;
}
