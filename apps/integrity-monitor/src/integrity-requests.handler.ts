import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { TENANT_ID_PATTERN, type Actor, type IntegrityCheckReply, type IntegrityCheckRequest } from '@halm/contracts';
import { RpcError } from '@halm/messaging';
import { IntegrityRunner } from './integrity-runner';

const actorOf = (by: Actor | undefined): Actor => {
  if (!by || (by.kind !== 'key' && by.kind !== 'kernel') || typeof by.id !== 'string' || by.id.length === 0 || by.id.length > 256) {
    throw new RpcError('BAD_REQUEST', 'requestedBy must be an actor: { kind: "key" | "kernel", id }');
  }
  return { kind: by.kind, id: by.id };
};

/** `integrity.req.check` from the gateway's admin route and the CLI; who may ask is checked by them. */
@Controller()
export class IntegrityRequestsHandler {
  constructor(private readonly runner: IntegrityRunner) {}

  @MessagePattern('integrity.req.check')
  check(request: IntegrityCheckRequest): Promise<IntegrityCheckReply> {
    if (request?.tenantId !== undefined && (typeof request.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId))) {
      throw new RpcError('BAD_REQUEST', 'tenantId must be a tenant id (letters, digits, _ and -)');
    }
    if (request.full !== undefined && typeof request.full !== 'boolean') throw new RpcError('BAD_REQUEST', 'full must be true or false');
    return this.runner.run({ trigger: 'request', tenantId: request.tenantId ?? null, full: request.full === true, requestedBy: actorOf(request.requestedBy) });
  }
}
