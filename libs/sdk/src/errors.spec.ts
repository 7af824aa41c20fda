import {
  errorFromResponse,
  HalmAuthError,
  HalmConflictError,
  HalmError,
  HalmLockdownError,
  HalmNotFoundError,
  HalmTokenError,
  HalmUnavailableError,
  HalmValidationError,
} from './errors';

const problem = (status: number, extensions: Record<string, unknown> = {}) => ({ type: 'about:blank', title: 'Error', status, detail: `status ${status}`, ...extensions });

describe('errorFromResponse', () => {
  it.each([
    [400, problem(400, { invalidParams: [{ name: 'payload.amount', reason: 'is required' }] }), HalmValidationError, 'INVALID_REQUEST'],
    [401, problem(401), HalmAuthError, 'UNAUTHORIZED'],
    [403, problem(403, { requiredRoles: ['agent'] }), HalmAuthError, 'FORBIDDEN'],
    [403, problem(403, { code: 'TOKEN_INVALID' }), HalmTokenError, 'TOKEN_INVALID'],
    [403, problem(403, { code: 'TOKEN_EXPIRED' }), HalmTokenError, 'TOKEN_EXPIRED'],
    [403, problem(403, { code: 'TOKEN_WRONG_TENANT' }), HalmTokenError, 'TOKEN_WRONG_TENANT'],
    [403, problem(403, { code: 'TOKEN_WRONG_ACTION' }), HalmTokenError, 'TOKEN_WRONG_ACTION'],
    [409, problem(409, { code: 'TOKEN_ALREADY_USED' }), HalmTokenError, 'TOKEN_ALREADY_USED'],
    [404, problem(404), HalmNotFoundError, 'NOT_FOUND'],
    [409, problem(409, { code: 'NOT_EXECUTABLE' }), HalmConflictError, 'NOT_EXECUTABLE'],
    [409, problem(409, { lifecycle: 'APPROVED' }), HalmConflictError, 'CONFLICT'],
    [422, problem(422, { code: 'IDEMPOTENCY_KEY_REUSED' }), HalmConflictError, 'IDEMPOTENCY_KEY_REUSED'],
    [423, problem(423, { code: 'LOCKDOWN_ACTIVE' }), HalmLockdownError, 'LOCKDOWN_ACTIVE'],
    [503, problem(503, { allowed: false }), HalmUnavailableError, 'UNAVAILABLE'],
    [429, problem(429), HalmError, 'RATE_LIMITED'],
  ])('maps %i %j to its class and code', (status, body, type, code) => {
    const error = errorFromResponse(status, body);

    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(HalmError);
    expect(error).toMatchObject({ status, code, problem: body, message: body.detail });
  });

  it('names each bad field of a 400', () => {
    const error = errorFromResponse(400, problem(400, { invalidParams: [{ name: 'payload.amount', reason: 'is required' }] })) as HalmValidationError;

    expect(error.invalidParams).toEqual([{ name: 'payload.amount', reason: 'is required' }]);
  });

  it('makes a problem document of a body that is not one', () => {
    const error = errorFromResponse(502, '<html>Bad Gateway</html>', '<html>Bad Gateway</html>');

    expect(error).toBeInstanceOf(HalmUnavailableError);
    expect(error.problem).toEqual({ type: 'about:blank', title: 'HTTP 502', status: 502, detail: '<html>Bad Gateway</html>' });
  });
});
