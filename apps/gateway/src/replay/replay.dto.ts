import { IsInt, IsObject, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import type { HeightRange } from '@halm/domain';
import { MAX_HEIGHT } from '../audit/audit.query';

const Given = () => ValidateIf((_object, value) => value !== undefined);

const wholeNumber = (name: string) => `${name} must be a whole number between 1 and ${MAX_HEIGHT}`;

/** `POST /api/audit/replay`: which heights of the tenant's ledger to replay (both included). */
export class ReplayRequestDto implements HeightRange {
  @Given()
  @Max(MAX_HEIGHT, { message: wholeNumber('fromHeight') })
  @Min(1, { message: wholeNumber('fromHeight') })
  @IsInt({ message: wholeNumber('fromHeight') })
  fromHeight?: number;

  @Given()
  @Max(MAX_HEIGHT, { message: wholeNumber('toHeight') })
  @Min(1, { message: wholeNumber('toHeight') })
  @IsInt({ message: wholeNumber('toHeight') })
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
