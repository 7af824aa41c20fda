import { IsString, Matches } from 'class-validator';
import type { CheckpointCursor } from '@halm/persistence';
import { Given, WholeNumberQuery } from '../field-rules';

/** Most events one page of `GET /api/audit/events` holds. */
export const MAX_EVENTS_PER_PAGE = 500;
export const DEFAULT_CHECKPOINTS_PER_PAGE = 50;
export const MAX_CHECKPOINTS_PER_PAGE = 200;
// Heights and tree sizes are PostgreSQL integers.
export const MAX_HEIGHT = 2_147_483_647;

/** The query of `GET /api/audit/events`. */
export class EventRangeQuery {
  @Given()
  @WholeNumberQuery('fromHeight', 1, MAX_HEIGHT)
  fromHeight?: number;

  @Given()
  @WholeNumberQuery('toHeight', 1, MAX_HEIGHT)
  toHeight?: number;
}

/** The query of `GET /api/audit/events/:height`. */
export class InclusionProofQuery {
  @Given()
  @WholeNumberQuery('treeSize', 1, MAX_HEIGHT)
  treeSize?: number;
}

/** The query of `GET /api/audit/consistency`. */
export class ConsistencyProofQuery {
  @WholeNumberQuery('fromSize', 1, MAX_HEIGHT)
  fromSize!: number;

  @Given()
  @WholeNumberQuery('toSize', 1, MAX_HEIGHT)
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
  @WholeNumberQuery('limit', 1, MAX_CHECKPOINTS_PER_PAGE)
  limit?: number;

  @Given()
  @Matches(CHECKPOINT_CURSOR_PATTERN, { message: CHECKPOINT_CURSOR_MESSAGE })
  @IsString({ message: CHECKPOINT_CURSOR_MESSAGE })
  before?: string;
}
