import { DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { ensureAppendOnlyStream } from './ledger-store';

/**
 * A signed checkpoint as it travels: the JSON of the domain's `SignedCheckpoint`, field for
 * field (the message body is exactly this object, which the projection decodes as such).
 */
export interface CheckpointMessage {
  tenantId: string;
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  keyId: string;
  signature: string;
}

/** A checkpoint with the stream sequence it was stored at. */
export interface StoredCheckpoint<T extends CheckpointMessage = CheckpointMessage> {
  checkpoint: T;
  sequence: number;
}

/** `ledger.req.checkpoint`: sign a checkpoint of the tenant's tree as it stands now; the reply is the `SignedCheckpoint`. */
export interface CheckpointRequest {
  tenantId: string;
}

/** One Ed25519 key checkpoints are or were signed with: SPKI DER in base64url, and the key id checkpoints name it by. */
export interface LedgerPublicKey {
  keyId: string;
  publicKey: string;
  /** True for the key new checkpoints are signed with; false for retired keys older checkpoints still name. */
  current: boolean;
}

/** `ledger.req.public-keys` (request body `{}`). */
export interface PublicKeysReply {
  keys: LedgerPublicKey[];
}

/** JetStream refused a checkpoint because another one was published for the tenant since the caller looked. */
export class CheckpointRaceError extends Error {
  constructor(tenantId: string, expected: number) {
    super(`another checkpoint of ${tenantId} was published after sequence ${expected}`);
    this.name = 'CheckpointRaceError';
  }
}

const WRONG_LAST_SEQUENCE = 10071;

/**
 * Creates or updates the checkpoint stream like the ledger stream (`ensureAppendOnlyStream`):
 * its duplicate window drops a republished checkpoint (same tenant, size and key).
 */
export const ensureCheckpointStream = (manager: JetStreamManager, topology: Topology, replicas = 1): Promise<void> =>
  ensureAppendOnlyStream(manager, topology.checkpointStream, topology.checkpointSubjects, replicas);

/** Publishes and reads the signed checkpoints of each tenant's Merkle tree. Only the ledger service publishes. */
export class CheckpointStore {
  private readonly client: JetStreamClient;

  private constructor(
    private readonly manager: JetStreamManager,
    private readonly topology: Topology,
    connection: NatsConnection,
  ) {
    this.client = jetstream(connection);
  }

  static async open(connection: NatsConnection, topology: Topology): Promise<CheckpointStore> {
    return new CheckpointStore(await jetstreamManager(connection), topology, connection);
  }

  /**
   * Publishes a checkpoint on its tenant's subject. The message id `<tenant>:<treeSize>:<keyId>`
   * makes a retry, or another ledger instance signing the same tree with the same key, a no-op
   * within the duplicate window (`duplicate: true`, and the stored copy stands). With
   * `expectedLastSequence` (0: none yet) it is published only if the tenant's latest checkpoint
   * is still that one, else `CheckpointRaceError`: so checkpoints are stored in the order of
   * the trees they sign.
   */
  async publish(checkpoint: CheckpointMessage, expectedLastSequence?: number): Promise<{ sequence: number; duplicate: boolean }> {
    const { tenantId, treeSize, rootHash, issuedAt, keyId, signature } = checkpoint;
    try {
      const ack = await this.client.publish(this.topology.checkpointSubject(tenantId), JSON.stringify({ tenantId, treeSize, rootHash, issuedAt, keyId, signature }), {
        msgID: `${tenantId}:${treeSize}:${keyId}`,
        ...(expectedLastSequence === undefined ? {} : { expect: { lastSubjectSequence: expectedLastSequence } }),
      });
      return { sequence: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) throw new CheckpointRaceError(tenantId, expectedLastSequence ?? 0);
      throw error;
    }
  }

  /** The tenant's most recent checkpoint, or null before its first. */
  async latest(tenantId: string): Promise<StoredCheckpoint | null> {
    const stored = await this.manager.direct.getMessage(this.topology.checkpointStream, { last_by_subj: this.topology.checkpointSubject(tenantId) });
    return stored ? { checkpoint: stored.json<CheckpointMessage>(), sequence: stored.seq } : null;
  }

  /** Every checkpoint of the tenant in the order they were published, up to the latest when the call starts. */
  async readAll(tenantId: string): Promise<CheckpointMessage[]> {
    const last = await this.latest(tenantId);
    if (!last) return [];
    const consumer = await this.client.consumers.get(this.topology.checkpointStream, {
      filter_subjects: this.topology.checkpointSubject(tenantId),
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await consumer.consume();
    const checkpoints: CheckpointMessage[] = [];
    try {
      for await (const message of messages) {
        checkpoints.push(message.json<CheckpointMessage>());
        if (message.seq >= last.sequence) break;
      }
    } finally {
      await messages.close();
      await consumer.delete().catch(() => undefined);
    }
    return checkpoints;
  }

  /**
   * How many events each tenant has on the ledger stream, from the stream's per-subject
   * counts: what the checkpoint schedule compares with the sizes it signed, without reading
   * any event. Costs one entry per tenant, whatever the length of their histories.
   */
  async ledgerSizes(): Promise<Map<string, number>> {
    const info = await this.manager.streams.info(this.topology.ledgerStream, { subjects_filter: this.topology.ledgerSubjects });
    const prefix = this.topology.ledgerSubjects.slice(0, -1);
    const sizes = new Map<string, number>();
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) if (subject.startsWith(prefix)) sizes.set(subject.slice(prefix.length), count);
    return sizes;
  }
}
