import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { INCIDENT_STATUSES, TENANT_ID_PATTERN, type IncidentStatus } from '@halm/contracts';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 200;

// Query values arrive as strings: only a plain decimal becomes a number, anything else fails validation as it came.
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);
const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

const Given = () => ValidateIf((_object, value) => value !== undefined);
const LIMIT_MESSAGE = `limit must be a whole number between 1 and ${MAX_PAGE}`;

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
  @Transform(toInteger)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(MAX_PAGE, { message: LIMIT_MESSAGE })
  limit?: number;
}

/** The query of `GET /api/audit/incidents`. */
export class ListIncidentsQuery {
  @Given()
  @Transform(toInteger)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(MAX_PAGE, { message: LIMIT_MESSAGE })
  limit?: number;

  @Given()
  @IsIn(INCIDENT_STATUSES, { message: `status must be one of: ${INCIDENT_STATUSES.join(', ')}` })
  status?: IncidentStatus;
}
