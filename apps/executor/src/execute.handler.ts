import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { ExecuteRequest, ExecutionView, ReportRequest } from '@halm/contracts';
import { ExecutionGate } from './execution-gate';

/** The executor's NATS requests, from the gateway. */
@Controller()
export class ExecuteHandler {
  constructor(private readonly gate: ExecutionGate) {}

  @MessagePattern('executor.req.execute')
  execute(request: ExecuteRequest): Promise<ExecutionView> {
    return this.gate.execute(request);
  }

  @MessagePattern('executor.req.report')
  report(request: ReportRequest): Promise<ExecutionView> {
    return this.gate.report(request);
  }
}
