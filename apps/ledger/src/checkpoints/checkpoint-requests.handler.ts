import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { TENANT_ID_PATTERN } from '@halm/contracts';
import type { SignedCheckpoint } from '@halm/domain';
import { type CheckpointRequest, type PublicKeysReply, RpcError } from '@halm/messaging';
import { CheckpointKeys } from './checkpoint-keys';
import { CheckpointPublisher } from './checkpoint-publisher';

/** Checkpoints on demand and the keys that verify them, over NATS request/reply. */
@Controller()
export class CheckpointRequestsHandler {
  constructor(
    private readonly publisher: CheckpointPublisher,
    private readonly keys: CheckpointKeys,
  ) {}

  /** A checkpoint of the tenant's whole tree as it stands now, published before it is answered. */
  @MessagePattern('ledger.req.checkpoint')
  async checkpoint(request: CheckpointRequest): Promise<SignedCheckpoint> {
    const tenantId: unknown = request?.tenantId;
    if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) throw new RpcError('BAD_REQUEST', 'tenantId must be 1 to 64 letters, digits, _ or -');
    const checkpoint = await this.publisher.checkpointNow(tenantId, new Date());
    if (!checkpoint) throw new RpcError('NOT_FOUND', `tenant ${tenantId} has no ledger events`);
    return checkpoint;
  }

  @MessagePattern('ledger.req.public-keys')
  publicKeys(): PublicKeysReply {
    return { keys: this.keys.list() };
  }
}
