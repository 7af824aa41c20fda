import { ProblemException } from '@halm/platform';
import { replayRange } from './replay-range';

const problemOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof ProblemException) return error.problemDetails;
    throw error;
  }
  throw new Error('no problem raised');
};

describe('replayRange', () => {
  it('defaults to the whole ledger and stops at its last event', () => {
    expect(replayRange(40, {})).toEqual({ fromHeight: 1, toHeight: 40 });
    expect(replayRange(40, { fromHeight: 10, toHeight: 99 })).toEqual({ fromHeight: 10, toHeight: 40 });
    expect(replayRange(0, {})).toEqual({ fromHeight: 1, toHeight: 0 });
  });

  it('refuses a backwards range, naming toHeight', () => {
    expect(problemOf(() => replayRange(40, { fromHeight: 10, toHeight: 9 }))).toMatchObject({ status: 400, invalidParams: [{ name: 'toHeight', reason: 'must be at least fromHeight' }] });
  });

  it('refuses more events than the cap, saying how far toHeight may go', () => {
    expect(replayRange(250, { fromHeight: 101 }, 150)).toEqual({ fromHeight: 101, toHeight: 250 });
    expect(problemOf(() => replayRange(251, {}, 150))).toMatchObject({ status: 400, invalidParams: [{ name: 'toHeight', reason: 'is needed: the ledger holds 251 events from height 1, and one request replays at most 150' }] });
    expect(problemOf(() => replayRange(500, { fromHeight: 11, toHeight: 400 }, 150))).toMatchObject({ invalidParams: [{ name: 'toHeight', reason: 'must be at most 160: one request replays at most 150 events' }] });
  });
});
