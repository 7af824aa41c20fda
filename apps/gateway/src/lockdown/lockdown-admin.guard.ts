import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Principal } from '@halm/persistence';
import { ApiKeyGuard } from '../api-key.guard';
import { OperatorGuard } from '../operator.guard';

/** A request the lockdown routes accept: from the operator key, or from a tenant key with the roles the route requires. */
export type LockdownAdminRequest = { operator?: true; principal?: Principal; params?: Record<string, string> };

/**
 * The operator key (any scope, any tenant) or a tenant's API key with the route's roles (its
 * own tenant only): the controller decides what each may do.
 */
@Injectable()
export class LockdownAdminGuard implements CanActivate {
  constructor(
    private readonly operatorGuard: OperatorGuard,
    private readonly apiKeyGuard: ApiKeyGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<LockdownAdminRequest>();
    try {
      if (this.operatorGuard.canActivate(context)) {
        request.operator = true;
        return true;
      }
    } catch {
      // Not the operator key (or no operator key configured): it may still be a tenant's key.
    }
    return this.apiKeyGuard.canActivate(context);
  }
}
