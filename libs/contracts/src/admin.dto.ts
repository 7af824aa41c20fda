import { ArrayMinSize, ArrayUnique, IsArray, IsDefined, IsIn, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

/** The roles an API key can hold. */
export const ROLES = ['agent', 'approver', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export class CreateTenantDto {
  @IsDefined({ message: 'name is required' })
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @IsString()
  name!: string;
}

export class IssueKeyDto {
  @IsDefined({ message: 'roles is required' })
  @IsIn(ROLES, { each: true, message: `roles must each be one of: ${ROLES.join(', ')}` })
  @ArrayUnique({ message: 'roles must not repeat a role' })
  @ArrayMinSize(1, { message: 'roles must name at least one role' })
  @IsArray({ message: 'roles must be an array of role names' })
  roles!: Role[];

  @ValidateIf((_object, value) => value !== undefined)
  @MaxLength(200)
  @IsString()
  label?: string;
}

/** A key as the admin API lists it: never its secret. */
export interface ApiKeyView {
  id: string;
  roles: Role[];
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The body of an approve, reject or veto: why, for the ledger. */
export class ProposalVerdictDto {
  @ValidateIf((_object, value) => value !== undefined)
  @MaxLength(2_000)
  @IsString()
  reason?: string;
}

/** `POST /api/policies`: a manifest to publish, as a document or as YAML/JSON source text. */
export class PublishPolicyDto {
  @ValidateIf((body: PublishPolicyDto) => body.source === undefined)
  @IsDefined({ message: 'manifest or source is required' })
  manifest?: Record<string, unknown>;

  @ValidateIf((body: PublishPolicyDto) => body.source !== undefined)
  @MaxLength(256 * 1024)
  @IsString()
  source?: string;

  @ValidateIf((_object, value) => value !== undefined)
  @MaxLength(4_096)
  @IsString()
  justification?: string;
}

/** `POST /api/policies/:version/activate` and `/rollback`: why, for the ledger. */
export class ActivatePolicyDto {
  @ValidateIf((_object, value) => value !== undefined)
  @MaxLength(4_096)
  @IsString()
  justification?: string;
}
