import { IsObject, IsString, MaxLength } from 'class-validator';
import type { HeightRange } from '@halm/domain';
import { MAX_HEIGHT } from '../audit/audit.query';
import { Given, WholeNumber } from '../field-rules';

/** `POST /api/audit/replay`: which heights of the tenant's ledger to replay (both included). */
export class ReplayRequestDto implements HeightRange {
  @Given()
  @WholeNumber('fromHeight', 1, MAX_HEIGHT)
  fromHeight?: number;

  @Given()
  @WholeNumber('toHeight', 1, MAX_HEIGHT)
  toHeight?: number;
}

/** `POST /api/audit/what-if`: a candidate manifest, as `POST /api/policies` takes one, and the heights to decide again. */
export class WhatIfRequestDto extends ReplayRequestDto {
  @Given()
  @IsObject({ message: 'manifest must be a JSON object (or give the manifest as YAML or JSON text in source)' })
  manifest?: Record<string, unknown>;

  @Given()
  @MaxLength(256 * 1024, { message: 'source must be at most 262144 characters' })
  @IsString({ message: 'source must be a string' })
  source?: string;
}
