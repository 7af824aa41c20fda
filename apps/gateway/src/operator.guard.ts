import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { hashApiKey } from '@halm/persistence';
import { problem, ProblemException, SETTINGS } from '@halm/platform';
import type { FastifyRequest } from 'fastify';
import type { GatewaySettings } from './gateway.settings';

/** Creating tenants is above any tenant: it takes the operator key of the deployment. */
@Injectable()
export class OperatorGuard implements CanActivate {
  private readonly operatorHash: Buffer | null;

  constructor(@Inject(SETTINGS) settings: GatewaySettings) {
    this.operatorHash = settings.OPERATOR_API_KEY ? Buffer.from(hashApiKey(settings.OPERATOR_API_KEY), 'hex') : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new ProblemException(problem(401, 'Send Authorization: Bearer <operator key>', { invalidParams: [{ name: 'Authorization', reason: 'is missing' }] }));
    if (!this.operatorHash) throw new ProblemException(problem(403, 'The operator API is disabled: set OPERATOR_API_KEY on the gateway'));
    // Comparing hashes of equal length in constant time: the key's length and bytes leak nothing.
    const presented = Buffer.from(hashApiKey(match[1]!), 'hex');
    if (!timingSafeEqual(presented, this.operatorHash)) throw new ProblemException(problem(403, 'This key is not the operator key'));
    return true;
  }
}
