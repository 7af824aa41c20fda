import type { HeightRange } from '@halm/domain';
import { validationProblem } from '@halm/platform';

/** Most events one replay or what-if request decides again; the events before the range are folded besides. */
export const MAX_REPLAY_EVENTS = 100_000;

/**
 * The heights a request replays, within the tenant's ledger of `headHeight` events: from
 * `fromHeight` (1) to `toHeight` (the last event), at most `maxEvents` of them. A range that
 * is backwards or too long is a 400 naming the field to change.
 */
export const replayRange = (headHeight: number, requested: HeightRange, maxEvents = MAX_REPLAY_EVENTS): Required<HeightRange> => {
  const fromHeight = requested.fromHeight ?? 1;
  if (requested.toHeight !== undefined && requested.toHeight < fromHeight) throw validationProblem([{ name: 'toHeight', reason: 'must be at least fromHeight' }]);
  const toHeight = Math.min(requested.toHeight ?? headHeight, headHeight);
  const events = toHeight - fromHeight + 1;
  if (events > maxEvents) {
    throw validationProblem([
      {
        name: 'toHeight',
        reason:
          requested.toHeight === undefined
            ? `is needed: the ledger holds ${events} events from height ${fromHeight}, and one request replays at most ${maxEvents}`
            : `must be at most ${fromHeight + maxEvents - 1}: one request replays at most ${maxEvents} events`,
      },
    ]);
  }
  return { fromHeight, toHeight };
};
