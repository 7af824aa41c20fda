import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import type { CheckpointCursor } from '@halm/persistence';

/** Most events one page of `GET /api/audit/events` holds. */
export const MAX_EVENTS_PER_PAGE = 500;
export const DEFAULT_CHECKPOINTS_PER_PAGE = 50;
export const MAX_CHECKPOINTS_PER_PAGE = 200;
// Heights and tree sizes are PostgreSQL integers.
export const MAX_HEIGHT = 2_147_483_647;

// Query values arrive as strings (an array when repeated); only a plain decimal becomes a number, anything else fails validation as it came.
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);

const Given = () => ValidateIf((_object, value) => value !== undefined);

const wholeNumber = (name: string, min: number, max = MAX_HEIGHT) => `${name} must be a whole number between ${min} and ${max}`;

/** The query of `GET /api/audit/events`. */
export class EventRangeQuery {
  @Given()
  @Transform(toInteger)
  @IsInt({ message: wholeNumber('fromHeight', 1) })
  @Min(1, { message: wholeNumber('fromHeight', 1) })
  @Max(MAX_HEIGHT, { message: wholeNumber('fromHeight', 1) })
  fromHeight?: number;

  @Given()
  @Transform(toInteger)
  @IsInt({ message: wholeNumber('toHeight', 1) })
  @Min(1, { message: wholeNumber('toHeight', 1) })
  @Max(MAX_HEIGHT, { message: wholeNumber('toHeight', 1) })
  toHeight?: number;
}

/** The query of `GET /api/audit/events/:height`. */
export class InclusionProofQuery {
  @Given()
  @Transform(toInteger)
  @IsInt({ message: wholeNumber('treeSize', 1) })
  @Min(1, { message: wholeNumber('treeSize', 1) })
  @Max(MAX_HEIGHT, { message: wholeNumber('treeSize', 1) })
  treeSize?: number;
}

/** The query of `GET /api/audit/consistency`. */
export class ConsistencyProofQuery {
  @Transform(toInteger)
  @IsInt({ message: wholeNumber('fromSize', 1) })
  @Min(1, { message: wholeNumber('fromSize', 1) })
  @Max(MAX_HEIGHT, { message: wholeNumber('fromSize', 1) })
  fromSize!: number;

  @Given()
  @Transform(toInteger)
  @IsInt({ message: wholeNumber('toSize', 1) })
  @Min(1, { message: wholeNumber('toSize', 1) })
  @Max(MAX_HEIGHT, { message: wholeNumber('toSize', 1) })
  toSize?: number;
}

/** `before`: a tree size, or the `next` value of an earlier page (`<treeSize>~<keyId>`). */
export const CHECKPOINT_CURSOR_PATTERN = /^(\d{1,10})(?:~([\x21-\x7e]{1,128}))?$/;
export const CHECKPOINT_CURSOR_MESSAGE = 'before must be a tree size or the next value of an earlier page';

export const parseCheckpointCursor = (text: string): CheckpointCursor | undefined => {
  const match = CHECKPOINT_CURSOR_PATTERN.exec(text);
  if (!match) return undefined;
  const treeSize = Number(match[1]);
  if (treeSize > MAX_HEIGHT + 1) return undefined;
  return match[2] === undefined ? { treeSize } : { treeSize, keyId: match[2] };
};

export const checkpointCursorOf = (checkpoint: { treeSize: number; keyId: string }): string => `${checkpoint.treeSize}~${checkpoint.keyId}`;

/** The query of `GET /api/audit/checkpoints`. */
export class ListCheckpointsQuery {
  @Given()
  @Transform(toInteger)
  @IsInt({ message: wholeNumber('limit', 1, MAX_CHECKPOINTS_PER_PAGE) })
  @Min(1, { message: wholeNumber('limit', 1, MAX_CHECKPOINTS_PER_PAGE) })
  @Max(MAX_CHECKPOINTS_PER_PAGE, { message: wholeNumber('limit', 1, MAX_CHECKPOINTS_PER_PAGE) })
  limit?: number;

  @Given()
  @Matches(CHECKPOINT_CURSOR_PATTERN, { message: CHECKPOINT_CURSOR_MESSAGE })
  @IsString({ message: CHECKPOINT_CURSOR_MESSAGE })
  before?: string;
}
