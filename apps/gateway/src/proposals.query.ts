import { Transform } from 'class-transformer';
import { ArrayMinSize, IsArray, IsIn, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { PROPOSAL_LIFECYCLES, type ProposalLifecycle } from '@halm/domain';
import type { ProposalCursor } from '@halm/persistence';

export const MAX_WAIT_MS = 30_000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

// Query values arrive as strings (an array when a parameter is repeated); only a plain
// decimal becomes a number, anything else stays as it came and fails validation.
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value);

const Given = () => ValidateIf((_object, value) => value !== undefined);

const ISO_TIME = String.raw`(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,3})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)`;

/** `before`: an ISO 8601 time, or the `next` value of an earlier page (`<decidedAt>~<proposalId>`). */
export const CURSOR_PATTERN = new RegExp(`^(${ISO_TIME})(?:~([A-Za-z0-9_.-]{1,128}))?$`);

/** The cursor `before` stands for, or undefined when it names no real time (February 30th matches the pattern). */
export const parseCursor = (text: string): ProposalCursor | undefined => {
  const match = CURSOR_PATTERN.exec(text);
  if (!match) return undefined;
  const [, time, year, month, day, proposalId] = match;
  if (new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDate() !== Number(day)) return undefined;
  const decidedAt = new Date(Date.parse(time!)).toISOString();
  return proposalId === undefined ? { decidedAt } : { decidedAt, proposalId };
};

export const cursorOf = (row: { decidedAt: string; proposalId: string }): string => `${row.decidedAt}~${row.proposalId}`;

export const CURSOR_MESSAGE = 'before must be an ISO 8601 time (e.g. 2026-03-15T10:00:00.000Z) or the next value of an earlier page';

const waitMessage = `waitMs must be a whole number of milliseconds between 0 and ${MAX_WAIT_MS}`;

/** The query of `GET /api/kernel/proposals/:proposalId`. */
export class GetProposalQuery {
  @Given()
  @Transform(toInteger)
  @IsInt({ message: waitMessage })
  @Min(0, { message: waitMessage })
  @Max(MAX_WAIT_MS, { message: waitMessage })
  waitMs?: number;
}

const lifecycleMessage = `lifecycle must be a comma-separated list of: ${PROPOSAL_LIFECYCLES.join(', ')}`;
const limitMessage = `limit must be a whole number between 1 and ${MAX_PAGE_SIZE}`;

/** The query of `GET /api/kernel/proposals`. */
export class ListProposalsQuery {
  @Given()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()) : value))
  @IsIn(PROPOSAL_LIFECYCLES, { each: true, message: lifecycleMessage })
  @ArrayMinSize(1, { message: lifecycleMessage })
  @IsArray({ message: lifecycleMessage })
  lifecycle?: ProposalLifecycle[];

  @Given()
  @Transform(toInteger)
  @IsInt({ message: limitMessage })
  @Min(1, { message: limitMessage })
  @Max(MAX_PAGE_SIZE, { message: limitMessage })
  limit?: number;

  @Given()
  @Matches(CURSOR_PATTERN, { message: CURSOR_MESSAGE })
  @IsString({ message: CURSOR_MESSAGE })
  before?: string;
}
