import { AuthorizeContextDto, AuthorizeRequestDto } from '@halm/contracts';
import { IsOptional, Matches } from 'class-validator';
import { type InvalidParam, ProblemException } from './problem-details';
import { RequestValidationPipe } from './validation.pipe';

const pipe = new RequestValidationPipe();
const asBody = { type: 'body', metatype: AuthorizeRequestDto } as const;

const quickstart = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

const rejectionOf = async (body: unknown): Promise<ProblemException> => {
  try {
    await pipe.transform(body, asBody);
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
};

const namesOf = (invalidParams: InvalidParam[] | undefined): string[] => (invalidParams ?? []).map((param) => param.name);

describe('RequestValidationPipe with AuthorizeRequestDto', () => {
  it('passes the quickstart request and turns it into a DTO instance', async () => {
    const result = await pipe.transform(structuredClone(quickstart), asBody);

    expect(result).toBeInstanceOf(AuthorizeRequestDto);
    expect((result as AuthorizeRequestDto).context).toBeInstanceOf(AuthorizeContextDto);
    expect(result).toEqual(quickstart);
  });

  it('passes a request with every optional field filled in', async () => {
    const body = {
      ...quickstart,
      justification: 'j'.repeat(4096),
      context: { confidenceScore: 1, sessionId: 'session-1', agentId: 'agent-7' },
    };

    await expect(pipe.transform(body, asBody)).resolves.toEqual(body);
  });

  it('passes a request without context', async () => {
    await expect(pipe.transform({ type: 'task:create', payload: {} }, asBody)).resolves.toBeInstanceOf(AuthorizeRequestDto);
  });

  it.each([
    ['a confidence score of exactly 0', 0],
    ['a confidence score of exactly 1', 1],
  ])('accepts %s', async (_name, confidenceScore) => {
    await expect(pipe.transform({ ...quickstart, context: { confidenceScore } }, asBody)).resolves.toBeInstanceOf(AuthorizeRequestDto);
  });

  it('leaves values alone that are not request bodies', async () => {
    await expect(pipe.transform('abc', { type: 'param', metatype: String })).resolves.toBe('abc');
  });

  it('validates a whole query string against its DTO, and leaves a single named parameter alone', async () => {
    class PageQuery {
      @IsOptional()
      @Matches(/^\d+$/, { message: 'limit must be digits' })
      limit?: string;
    }

    await expect(pipe.transform({ limit: '5' }, { type: 'query', metatype: PageQuery })).resolves.toBeInstanceOf(PageQuery);
    await expect(pipe.transform(undefined, { type: 'query', metatype: PageQuery })).resolves.toEqual({});
    await expect(pipe.transform('five', { type: 'query', metatype: String, data: 'limit' })).resolves.toBe('five');
    const rejection = await pipe.transform({ limit: 'five' }, { type: 'query', metatype: PageQuery }).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(ProblemException);
    expect((rejection as ProblemException).problemDetails.invalidParams).toEqual([{ name: 'limit', reason: 'must be digits' }]);
  });

  it.each([
    ['a string', 'ledger:write'],
    ['an array', [quickstart]],
    ['null', null],
    ['a number', 42],
  ])('rejects a body that is %s as not a JSON object', async (_name, body) => {
    const rejection = await rejectionOf(body);

    expect(rejection.getStatus()).toBe(400);
    expect(rejection.problemDetails.status).toBe(400);
    expect(namesOf(rejection.problemDetails.invalidParams)).toEqual(['body']);
  });

  it.each([
    ['a missing type', 'type', { payload: {} }],
    ['an unknown type', 'type', { ...quickstart, type: 'ledger:delete' }],
    ['a type in the wrong case', 'type', { ...quickstart, type: 'LEDGER:WRITE' }],
    ['a missing payload', 'payload', { type: 'ledger:write' }],
    ['a null payload', 'payload', { type: 'ledger:write', payload: null }],
    ['a payload that is a string', 'payload', { type: 'ledger:write', payload: 'amount=120' }],
    ['a payload that is an array', 'payload', { type: 'ledger:write', payload: [120, 'acme'] }],
    ['a confidence score given as a string', 'context.confidenceScore', { ...quickstart, context: { confidenceScore: '0.92' } }],
    ['a confidence score below 0', 'context.confidenceScore', { ...quickstart, context: { confidenceScore: -0.01 } }],
    ['a confidence score above 1', 'context.confidenceScore', { ...quickstart, context: { confidenceScore: 1.01 } }],
    ['an agentId that is not a string', 'context.agentId', { ...quickstart, context: { agentId: 7 } }],
    ['a sessionId longer than 256 characters', 'context.sessionId', { ...quickstart, context: { sessionId: 's'.repeat(257) } }],
    ['a justification longer than 4096 characters', 'justification', { ...quickstart, justification: 'j'.repeat(4097) }],
    ['a justification that is not a string', 'justification', { ...quickstart, justification: 42 }],
    ['a context that is a string', 'context', { ...quickstart, context: 'confident' }],
    ['a context that is an array', 'context', { ...quickstart, context: [0.92] }],
    ['a null context', 'context', { ...quickstart, context: null }],
    ['a null confidence score', 'context.confidenceScore', { ...quickstart, context: { confidenceScore: null } }],
    ['a null agentId', 'context.agentId', { ...quickstart, context: { agentId: null } }],
    ['a null justification', 'justification', { ...quickstart, justification: null }],
  ])('rejects %s with a 400 naming %s', async (_name, field, body) => {
    const rejection = await rejectionOf(body);

    expect(rejection.getStatus()).toBe(400);
    expect(rejection.problemDetails).toMatchObject({ status: 400, type: '/problems/invalid-request' });
    expect(namesOf(rejection.problemDetails.invalidParams)).toEqual([field]);
    expect(rejection.problemDetails.detail).toContain(field);
  });

  it('gives the reason without repeating the field name', async () => {
    const rejection = await rejectionOf({ ...quickstart, context: { confidenceScore: 2 } });

    expect(rejection.problemDetails.invalidParams).toEqual([{ name: 'context.confidenceScore', reason: 'must be a number between 0 and 1' }]);
  });

  it('names every bad field once when several are bad', async () => {
    const rejection = await rejectionOf({
      type: 'nope',
      payload: [],
      justification: 'j'.repeat(5000),
      context: { confidenceScore: 'high', agentId: false },
    });

    expect(namesOf(rejection.problemDetails.invalidParams).sort()).toEqual(
      ['context.agentId', 'context.confidenceScore', 'justification', 'payload', 'type'].sort(),
    );
  });

  it('does not echo the rejected values back', async () => {
    const rejection = await rejectionOf({ ...quickstart, justification: 'secret-token-'.repeat(400) });

    expect(JSON.stringify(rejection.problemDetails)).not.toContain('secret-token-');
  });
});
