import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';

/** One field that failed validation: its JSON path in the request and why. */
export interface InvalidParam {
  name: string;
  reason: string;
}

/** RFC 9457 problem details, with `invalidParams` naming each bad field. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  invalidParams?: InvalidParam[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const problem = (status: number, detail: string, extensions: Record<string, unknown> = {}): ProblemDetails => ({
  type: 'about:blank',
  ...extensions,
  // The standard members win over extensions of the same name.
  title: TITLES[status] ?? 'Error',
  status,
  detail,
});

/** An HTTP error whose body is already a problem document. */
export class ProblemException extends HttpException {
  constructor(readonly problemDetails: ProblemDetails) {
    super(problemDetails, problemDetails.status);
  }
}

/** Flattens nested class-validator errors into one entry per bad field, named by its path. */
export const invalidParamsOf = (errors: readonly ValidationError[], prefix = ''): InvalidParam[] =>
  errors.flatMap((error) => {
    const name = prefix ? `${prefix}.${error.property}` : error.property;
    // class-validator messages start with the property name, which `name` already carries.
    const own = Object.values(error.constraints ?? {}).map((message) => ({ name, reason: message.replace(new RegExp(`^${error.property} `), '') }));
    return [...own, ...invalidParamsOf(error.children ?? [], name)];
  });

export const validationProblem = (invalidParams: InvalidParam[]): ProblemException =>
  new ProblemException(
    problem(400, `Invalid request: ${invalidParams.map((p) => `${p.name} ${p.reason}`).join('; ')}`, {
      type: '/problems/invalid-request',
      invalidParams,
    }),
  );

/** Errors Fastify raises before a route runs (body parsing, size, media type) mapped to problem details. */
export const problemForFastifyError = (error: FastifyError): ProblemDetails | undefined => {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, `The request body is not valid JSON: ${error.message}`, { invalidParams: [{ name: 'body', reason: 'must be valid JSON' }] });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, `The request body is larger than this endpoint accepts`, { invalidParams: [{ name: 'body', reason: 'is too large' }] });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'The request body must be application/json', { invalidParams: [{ name: 'content-type', reason: 'must be application/json' }] });
    default:
      if (typeof error?.code === 'string' && error.code.startsWith('FST_') && error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return problem(error.statusCode, error.message);
      }
      return undefined;
  }
};

/** Every error leaves as RFC 9457 problem details; only a genuine fault is a 500, and it is logged. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // The NATS request transport answers errors itself, with the failure's own code.
    if (host.getType() !== 'http') return throwError(() => exception);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const body = this.toProblem(exception);
    body.instance = request.url;
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof ProblemException) return { ...exception.problemDetails };
    // Nest wraps Fastify's own errors (unparsable JSON, oversized body) in an HttpException.
    const fastifyError = (exception instanceof HttpException ? exception.cause : exception) as FastifyError | undefined;
    const fastifyProblem = fastifyError ? problemForFastifyError(fastifyError) : undefined;
    if (fastifyProblem) return fastifyProblem;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const detail = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message);
      return problem(status, Array.isArray(detail) ? detail.join('; ') : String(detail));
    }
    this.logger.error({ err: exception }, 'unhandled error');
    return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'An internal error occurred; it has been logged');
  }
}
