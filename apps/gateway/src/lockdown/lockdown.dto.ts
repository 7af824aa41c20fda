import { IsDefined, IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { LOCKDOWN_SCOPES, TENANT_ID_PATTERN, type LockdownRecord, type LockdownScope } from '@halm/contracts';
import { Given } from '../field-rules';

/** `POST /api/admin/lockdown` and `POST /api/admin/lockdown/release`: which lockdown, and why (for the ledger). */
export class LockdownChangeDto {
  @IsIn(LOCKDOWN_SCOPES, { message: `scope must be one of: ${LOCKDOWN_SCOPES.join(', ')}` })
  @IsDefined({ message: 'scope is required' })
  scope!: LockdownScope;

  @MaxLength(2_000, { message: 'reason must be at most 2000 characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  @IsString({ message: 'reason must be a string' })
  @IsDefined({ message: 'reason is required' })
  reason!: string;

  @Given()
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be a tenant id (letters, digits, _ and -)' })
  @IsString({ message: 'tenantId must be a string' })
  tenantId?: string;
}

/** The query of `GET /api/admin/lockdown`. */
export class LockdownStatusQuery {
  @Given()
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be a tenant id (letters, digits, _ and -)' })
  @IsString({ message: 'tenantId must be a string' })
  tenantId?: string;
}

/** What `GET /api/admin/lockdown` answers. */
export interface LockdownStatusView {
  /** True when a lockdown covers the tenant asked about (the key's own); for the operator without `tenantId`, when the global one is in force. */
  active: boolean;
  global: LockdownRecord | null;
  tenants: LockdownRecord[];
}
