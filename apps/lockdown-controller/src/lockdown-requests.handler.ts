import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type {
  EngageLockdownReply,
  EngageLockdownRequest,
  LockdownStatusReply,
  LockdownStatusRequest,
  ReleaseLockdownReply,
  ReleaseLockdownRequest,
} from '@halm/contracts';
import { LockdownRecorder } from './lockdown-recorder';

/** The controller's NATS requests, from the gateway's admin routes, the CLI and the integrity monitor. Who may ask is checked by them. */
@Controller()
export class LockdownRequestsHandler {
  constructor(private readonly recorder: LockdownRecorder) {}

  @MessagePattern('lockdown.req.engage')
  engage(request: EngageLockdownRequest): Promise<EngageLockdownReply> {
    return this.recorder.engage(request);
  }

  @MessagePattern('lockdown.req.release')
  release(request: ReleaseLockdownRequest): Promise<ReleaseLockdownReply> {
    return this.recorder.release(request);
  }

  @MessagePattern('lockdown.req.status')
  status(request: LockdownStatusRequest): Promise<LockdownStatusReply> {
    return this.recorder.status(request);
  }
}
