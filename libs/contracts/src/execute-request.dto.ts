import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsObject, IsString, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { ACTION_TYPES, type ActionType } from './action-types';

/** The action an execution token was issued for, exactly as it was authorized. */
export class ExecuteActionDto {
  @IsDefined({ message: 'type is required' })
  @IsIn(ACTION_TYPES, { message: `type must be one of: ${ACTION_TYPES.join(', ')}` })
  type!: ActionType;

  @IsDefined({ message: 'payload is required' })
  @IsObject({ message: 'payload must be a JSON object' })
  payload!: Record<string, unknown>;
}

/** The request body of `POST /api/kernel/execute`. */
export class ExecuteRequestDto {
  @IsDefined({ message: 'executionToken is required' })
  @MaxLength(4096, { message: 'executionToken must be at most 4096 characters' })
  @IsString({ message: 'executionToken must be a string' })
  executionToken!: string;

  /** One key, one effect: a retry with the same key gets the first answer. */
  @IsDefined({ message: 'idempotencyKey is required' })
  @Matches(/^[\x21-\x7e]{1,255}$/, { message: 'idempotencyKey must be 1 to 255 printable ASCII characters without spaces' })
  @IsString({ message: 'idempotencyKey must be a string' })
  idempotencyKey!: string;

  @IsDefined({ message: 'action is required' })
  @IsObject({ message: 'action must be a JSON object with type and payload' })
  @ValidateNested()
  @Type(() => ExecuteActionDto)
  action!: ExecuteActionDto;
}

/** The request body of `POST /api/kernel/executions/:executionId/report`: how the effect the agent performed ended. */
export class ExecutionReportDto {
  @IsDefined({ message: 'outcome is required' })
  @IsIn(['SUCCEEDED', 'FAILED'], { message: 'outcome must be SUCCEEDED or FAILED' })
  outcome!: 'SUCCEEDED' | 'FAILED';

  @ValidateIf((_object, value) => value !== undefined)
  @IsObject({ message: 'detail must be a JSON object' })
  detail?: Record<string, unknown>;
}
