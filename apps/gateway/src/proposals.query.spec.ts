import { ProblemException, RequestValidationPipe } from '@halm/platform';
import { cursorOf, GetProposalQuery, ListProposalsQuery, parseCursor } from './proposals.query';

const pipe = new RequestValidationPipe();

const rejectionOf = async (query: Record<string, unknown>, metatype: new () => object): Promise<ProblemException> => {
  try {
    await pipe.transform(query, { type: 'query', metatype });
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
};

describe('the proposals query strings', () => {
  it('turns waitMs into a number', async () => {
    await expect(pipe.transform({ waitMs: '30000' }, { type: 'query', metatype: GetProposalQuery })).resolves.toEqual({ waitMs: 30_000 });
    await expect(pipe.transform({}, { type: 'query', metatype: GetProposalQuery })).resolves.toEqual({});
  });

  it.each([['-1'], ['30001'], ['1.5'], ['soon'], [''], [['10', '20']]])('rejects waitMs=%p naming it', async (waitMs) => {
    const rejection = await rejectionOf({ waitMs }, GetProposalQuery);

    expect(rejection.problemDetails).toMatchObject({ status: 400, invalidParams: [{ name: 'waitMs', reason: 'must be a whole number of milliseconds between 0 and 30000' }] });
  });

  it('reads a comma-separated lifecycle list, a limit and a cursor', async () => {
    const query = await pipe.transform({ lifecycle: 'PENDING_APPROVAL,HELD_FOR_VETO', limit: '10', before: '2026-03-15T10:00:00.000Z~prop_1' }, { type: 'query', metatype: ListProposalsQuery });

    expect(query).toEqual({ lifecycle: ['PENDING_APPROVAL', 'HELD_FOR_VETO'], limit: 10, before: '2026-03-15T10:00:00.000Z~prop_1' });
  });

  it.each([
    ['an unknown lifecycle', 'lifecycle', { lifecycle: 'PENDING_APPROVAL,MAYBE' }],
    ['an empty lifecycle', 'lifecycle', { lifecycle: '' }],
    ['a limit of 0', 'limit', { limit: '0' }],
    ['a limit above 200', 'limit', { limit: '201' }],
    ['a limit that is not a number', 'limit', { limit: 'all' }],
    ['a cursor that is not a time', 'before', { before: 'yesterday' }],
    ['a cursor with a month 13', 'before', { before: '2026-13-01T00:00:00Z' }],
  ])('rejects %s naming %s', async (_name, field, query) => {
    const rejection = await rejectionOf(query, ListProposalsQuery);

    expect(rejection.problemDetails.status).toBe(400);
    expect(rejection.problemDetails.invalidParams?.map((param) => param.name)).toEqual([field]);
  });

  it('names every bad parameter', async () => {
    const rejection = await rejectionOf({ lifecycle: 'x', limit: 'y', before: 'z' }, ListProposalsQuery);

    expect(rejection.problemDetails.invalidParams?.map((param) => param.name).sort()).toEqual(['before', 'lifecycle', 'limit']);
  });

  it('reads back the cursor it hands out, and a plain time', () => {
    const next = cursorOf({ decidedAt: '2026-03-15T10:00:00.000Z', proposalId: 'prop_0a1b' });

    expect(parseCursor(next)).toEqual({ decidedAt: '2026-03-15T10:00:00.000Z', proposalId: 'prop_0a1b' });
    expect(parseCursor('2026-03-15T11:00:00+01:00')).toEqual({ decidedAt: '2026-03-15T10:00:00.000Z' });
  });

  it('refuses a time that does not exist', () => {
    expect(parseCursor('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(parseCursor('2028-02-29T00:00:00Z')).toEqual({ decidedAt: '2028-02-29T00:00:00.000Z' });
  });
});
