import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { AppendReply, AppendRequest, ExecutionReply, ExecutionRequest, PoliciesReply, PoliciesRequest, TenantStateReply, TenantStateRequest } from '@halm/contracts';
import { LedgerWriter } from './ledger-writer';

/** The ledger's NATS requests; the work is the writer's, shared with the ledger's own jobs. */
@Controller()
export class AppendEventHandler {
  constructor(private readonly writer: LedgerWriter) {}

  @MessagePattern('ledger.req.append')
  append(request: AppendRequest): Promise<AppendReply> {
    return this.writer.append(request);
  }

  @MessagePattern('ledger.req.policies')
  policies(request: PoliciesRequest): Promise<PoliciesReply> {
    return this.writer.policies(request);
  }

  @MessagePattern('ledger.req.execution')
  execution(request: ExecutionRequest): Promise<ExecutionReply> {
    return this.writer.execution(request);
  }

  @MessagePattern('ledger.req.tenant-state')
  tenantState(request: TenantStateRequest): Promise<TenantStateReply> {
    return this.writer.tenantState(request);
  }
}
