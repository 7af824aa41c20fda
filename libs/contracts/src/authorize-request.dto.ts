import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsNumber,
  IsObject,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ACTION_TYPES, type ActionType } from './action-types';

/** May be left out, but not sent as null: `null` is a value of the wrong type, not an absence. */
const IsOptionalButNotNull = () => ValidateIf((_object, value) => value !== undefined);

export class AuthorizeContextDto {
  @IsOptionalButNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'confidenceScore must be a number between 0 and 1' })
  @Min(0, { message: 'confidenceScore must be a number between 0 and 1' })
  @Max(1, { message: 'confidenceScore must be a number between 0 and 1' })
  confidenceScore?: number;

  @IsOptionalButNotNull()
  @MaxLength(256)
  @IsString()
  sessionId?: string;

  @IsOptionalButNotNull()
  @MaxLength(256)
  @IsString()
  agentId?: string;
}

/** The request body of `POST /api/kernel/authorize`. */
export class AuthorizeRequestDto {
  @IsDefined({ message: 'type is required' })
  @IsIn(ACTION_TYPES, { message: `type must be one of: ${ACTION_TYPES.join(', ')}` })
  type!: ActionType;

  @IsDefined({ message: 'payload is required' })
  @IsObject({ message: 'payload must be a JSON object' })
  payload!: Record<string, unknown>;

  @IsOptionalButNotNull()
  @MaxLength(4096)
  @IsString()
  justification?: string;

  @IsOptionalButNotNull()
  @IsObject({ message: 'context must be a JSON object' })
  @ValidateNested()
  @Type(() => AuthorizeContextDto)
  context?: AuthorizeContextDto;
}
