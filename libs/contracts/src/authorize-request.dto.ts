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

  /**
   * The DTO of a body the decorators above accept as it is, checked by hand in a fraction of
   * their time (every authorize passes here); undefined when unsure, valid or not, and the body
   * goes through class-validator, which words the problems.
   */
  static fromWellFormed(body: Record<string, unknown>): AuthorizeRequestDto | undefined {
    if (!AuthorizeRequestDto.acceptsAsIs(body)) return undefined;
    const dto = Object.assign(new AuthorizeRequestDto(), body);
    if (body['context'] !== undefined) dto.context = Object.assign(new AuthorizeContextDto(), body['context']);
    return dto;
  }

  /** True only for a body the decorators accept; a property test holds it to never accept what class-validator refuses. */
  static acceptsAsIs(body: Record<string, unknown>): boolean {
    const { type, payload, justification, context } = body;
    if (!(ACTION_TYPES as readonly unknown[]).includes(type) || !isObject(payload)) return false;
    if (justification !== undefined && !(typeof justification === 'string' && justification.length <= 4096)) return false;
    if (context === undefined) return true;
    if (!isObject(context)) return false;
    const { confidenceScore, sessionId, agentId } = context as Record<string, unknown>;
    return (
      (confidenceScore === undefined || (typeof confidenceScore === 'number' && confidenceScore >= 0 && confidenceScore <= 1)) &&
      (sessionId === undefined || (typeof sessionId === 'string' && sessionId.length <= 256)) &&
      (agentId === undefined || (typeof agentId === 'string' && agentId.length <= 256))
    );
  }
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);
