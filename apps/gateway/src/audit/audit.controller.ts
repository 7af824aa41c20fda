import { Controller, Get, HttpCode, Inject, Param, ParseIntPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { LedgerEvent, Topology } from '@halm/contracts';
import { consistencyProof, inclusionProof, type SignedCheckpoint } from '@halm/domain';
import { RpcClient, RpcError, TOPOLOGY, type CheckpointRequest, type LedgerPublicKey, type PublicKeysReply } from '@halm/messaging';
import { CheckpointReadModel, LedgerEventReadModel } from '@halm/persistence';
import { problem, ProblemException, SETTINGS, validationProblem } from '@halm/platform';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from '../api-key.guard';
import { ExecutionTokenIssuer } from '../execution-token.issuer';
import type { GatewaySettings } from '../gateway.settings';
import {
  CHECKPOINT_CURSOR_MESSAGE,
  checkpointCursorOf,
  ConsistencyProofQuery,
  DEFAULT_CHECKPOINTS_PER_PAGE,
  EventRangeQuery,
  InclusionProofQuery,
  ListCheckpointsQuery,
  MAX_EVENTS_PER_PAGE,
  MAX_HEIGHT,
  parseCheckpointCursor,
} from './audit.query';

/** A ledger event with its RFC 9162 leaf hash: SHA-256(0x00 || the RFC 8785 form of the event), hex. */
export interface AuditEvent {
  event: LedgerEvent;
  leafHash: string;
}

export interface AuditEventPage {
  events: AuditEvent[];
  /** `fromHeight` of the next page; null when this page reached `toHeight` or the last event projected. */
  next: number | null;
  /** How many of the tenant's events the read model holds: heights 1 to this. */
  projectedHeight: number;
}

/** RFC 9162 section 2.1.3: the audit path of leaf `leafIndex` (the event at height `leafIndex + 1`) in the tree of `treeSize` leaves. */
export interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  hashes: string[];
}

export interface AuditEventWithProof extends AuditEvent {
  proof: InclusionProofView;
  /** The signed checkpoint whose root the proof leads to. */
  checkpoint: SignedCheckpoint;
}

export interface ConsistencyProofView {
  fromSize: number;
  toSize: number;
  /** RFC 9162 section 2.1.4: empty when both sizes are the same tree. */
  hashes: string[];
  /** The signed checkpoints of those sizes, when the ledger published any: their roots are what the proof connects. */
  fromCheckpoint: SignedCheckpoint | null;
  toCheckpoint: SignedCheckpoint | null;
}

export interface PublicKeyView {
  keyId: string;
  /** Ed25519, SubjectPublicKeyInfo DER in unpadded base64url. */
  publicKey: string;
  current: boolean;
}

export interface AuditKeysView {
  /** The keys the ledger signs checkpoints with, retired ones included (older checkpoints name them). */
  checkpointKeys: PublicKeyView[];
  /** The key this gateway signs execution tokens with (`kid` in their header). */
  executionTokenKeys: PublicKeyView[];
}

const heightParam = new ParseIntPipe({ exceptionFactory: () => validationProblem([{ name: 'height', reason: `must be a whole number between 1 and ${MAX_HEIGHT}` }]) });

const hex = (hashes: readonly Uint8Array[]): string[] => hashes.map((hash) => Buffer.from(hash).toString('hex'));

const PROJECTION_POLL_MS = 50;

/**
 * What auditors read, always within the key's tenant: the ledger's events with their Merkle
 * leaf hashes, the signed checkpoints, inclusion and consistency proofs computed from the
 * projection's leaf hashes, and the public keys that verify checkpoints and execution tokens.
 * Another tenant's data answers exactly like data that does not exist.
 */
@Controller('api/audit')
@UseGuards(ApiKeyGuard)
@RequireRoles('auditor', 'admin')
export class AuditController {
  constructor(
    private readonly events: LedgerEventReadModel,
    private readonly checkpoints: CheckpointReadModel,
    private readonly rpc: RpcClient,
    private readonly tokens: ExecutionTokenIssuer,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Get('events')
  async listEvents(@Req() request: AuthenticatedRequest, @Query() query: EventRangeQuery): Promise<AuditEventPage> {
    const fromHeight = query.fromHeight ?? 1;
    if (query.toHeight !== undefined && query.toHeight < fromHeight) throw validationProblem([{ name: 'toHeight', reason: 'must be at least fromHeight' }]);
    const tenantId = request.principal.tenantId;
    const projectedHeight = await this.events.projectedHeight(tenantId);
    const last = Math.min(query.toHeight ?? MAX_HEIGHT, projectedHeight);
    const pageEnd = Math.min(last, fromHeight + MAX_EVENTS_PER_PAGE - 1);
    const events = pageEnd >= fromHeight ? await this.events.range(tenantId, fromHeight, pageEnd) : [];
    return { events, next: pageEnd < last ? pageEnd + 1 : null, projectedHeight };
  }

  @Get('events/:height')
  async eventWithProof(
    @Req() request: AuthenticatedRequest,
    @Param('height', heightParam) height: number,
    @Query() query: InclusionProofQuery,
  ): Promise<AuditEventWithProof> {
    if (height < 1 || height > MAX_HEIGHT) throw validationProblem([{ name: 'height', reason: `must be a whole number between 1 and ${MAX_HEIGHT}` }]);
    if (query.treeSize !== undefined && query.treeSize < height) throw validationProblem([{ name: 'treeSize', reason: 'must be at least the height of the event: a tree of fewer events does not hold it' }]);
    const tenantId = request.principal.tenantId;
    const found = await this.events.at(tenantId, height);
    if (!found) throw new ProblemException(problem(404, `No event at height ${height}`, { height }));
    const checkpoint = query.treeSize !== undefined ? await this.checkpointOfSize(tenantId, query.treeSize) : await this.checkpointCovering(tenantId, height);
    // Only a ledger instance behind the projection could sign a smaller tree; another try reaches one that is not.
    if (checkpoint.treeSize < height) throw new ProblemException(problem(503, `The ledger signed a tree of ${checkpoint.treeSize} events, without event ${height}; retry`));
    const leaves = await this.leafHashes(tenantId, checkpoint.treeSize);
    return {
      ...found,
      proof: { leafIndex: height - 1, treeSize: checkpoint.treeSize, hashes: hex(inclusionProof(leaves, height - 1, checkpoint.treeSize)) },
      checkpoint,
    };
  }

  @Get('checkpoints/latest')
  async latestCheckpoint(@Req() request: AuthenticatedRequest): Promise<SignedCheckpoint> {
    const latest = await this.checkpoints.latest(request.principal.tenantId);
    if (!latest) throw new ProblemException(problem(404, 'No checkpoint of this tenant yet: POST /api/audit/checkpoints signs one'));
    return latest;
  }

  @Get('checkpoints')
  async listCheckpoints(@Req() request: AuthenticatedRequest, @Query() query: ListCheckpointsQuery): Promise<{ checkpoints: SignedCheckpoint[]; next: string | null }> {
    const limit = query.limit ?? DEFAULT_CHECKPOINTS_PER_PAGE;
    const before = query.before === undefined ? undefined : parseCheckpointCursor(query.before);
    if (query.before !== undefined && !before) throw validationProblem([{ name: 'before', reason: CHECKPOINT_CURSOR_MESSAGE.replace(/^before /, '') }]);
    // One more than the page: whether a next page exists, without counting.
    const rows = await this.checkpoints.list(request.principal.tenantId, limit + 1, before);
    const page = rows.slice(0, limit);
    return { checkpoints: page, next: rows.length > limit ? checkpointCursorOf(page.at(-1)!) : null };
  }

  @Post('checkpoints')
  @HttpCode(201)
  async signCheckpoint(@Req() request: AuthenticatedRequest): Promise<SignedCheckpoint> {
    return this.signNow(request.principal.tenantId);
  }

  @Get('consistency')
  async consistency(@Req() request: AuthenticatedRequest, @Query() query: ConsistencyProofQuery): Promise<ConsistencyProofView> {
    const tenantId = request.principal.tenantId;
    let toSize = query.toSize;
    if (toSize === undefined) {
      const latest = await this.checkpoints.latest(tenantId);
      if (!latest) throw new ProblemException(problem(404, 'No checkpoint of this tenant yet to prove consistency with; give toSize or POST /api/audit/checkpoints'));
      toSize = latest.treeSize;
    }
    if (toSize < query.fromSize) throw validationProblem([{ name: 'toSize', reason: 'must be at least fromSize' }]);
    const [fromCheckpoint, toCheckpoint] = await Promise.all([this.checkpoints.ofSize(tenantId, query.fromSize), this.checkpoints.ofSize(tenantId, toSize)]);
    // A size the ledger has signed exists even when the projection has not caught up with it yet.
    if (!toCheckpoint && toSize > (await this.events.projectedHeight(tenantId))) {
      throw validationProblem([{ name: 'toSize', reason: 'is larger than the tenant\'s ledger' }]);
    }
    const leaves = await this.leafHashes(tenantId, toSize);
    return { fromSize: query.fromSize, toSize, hashes: hex(consistencyProof(leaves, query.fromSize, toSize)), fromCheckpoint: fromCheckpoint ?? null, toCheckpoint: toCheckpoint ?? null };
  }

  @Get('keys')
  async keys(): Promise<AuditKeysView> {
    let reply: PublicKeysReply;
    try {
      reply = await this.rpc.request<Record<string, never>, PublicKeysReply>(this.topology.publicKeysSubject, {}, this.settings.APPEND_TIMEOUT_MS);
    } catch (error) {
      throw new ProblemException(problem(503, `The ledger did not answer with its checkpoint keys: ${(error as Error).message}`));
    }
    return {
      checkpointKeys: reply.keys.map(({ keyId, publicKey, current }: LedgerPublicKey) => ({ keyId, publicKey, current })),
      executionTokenKeys: [{ keyId: this.tokens.keyId, publicKey: this.tokens.publicKey, current: true }],
    };
  }

  private async checkpointOfSize(tenantId: string, treeSize: number): Promise<SignedCheckpoint> {
    const checkpoint = await this.checkpoints.ofSize(tenantId, treeSize);
    if (!checkpoint) throw new ProblemException(problem(404, `No checkpoint of a tree of ${treeSize} events`, { treeSize }));
    return checkpoint;
  }

  /** The latest checkpoint that holds the event and whose tree is projected; else one the ledger signs now. */
  private async checkpointCovering(tenantId: string, height: number): Promise<SignedCheckpoint> {
    const latest = await this.checkpoints.latest(tenantId, await this.events.projectedHeight(tenantId));
    if (latest && latest.treeSize >= height) return latest;
    return this.signNow(tenantId);
  }

  private async signNow(tenantId: string): Promise<SignedCheckpoint> {
    try {
      return await this.rpc.request<CheckpointRequest, SignedCheckpoint>(this.topology.checkpointRequestSubject, { tenantId }, this.settings.APPEND_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof RpcError && error.code === 'NOT_FOUND') throw new ProblemException(problem(404, 'This tenant has no ledger events yet: there is no tree to sign'));
      throw new ProblemException(problem(503, `The ledger did not sign a checkpoint: ${(error as Error).message}`));
    }
  }

  /** The first `treeSize` leaf hashes, once the projection holds that many: a checkpoint the ledger just signed may be a moment ahead of it. */
  private async leafHashes(tenantId: string, treeSize: number): Promise<Buffer[]> {
    const deadline = performance.now() + this.settings.APPEND_TIMEOUT_MS;
    while ((await this.events.projectedHeight(tenantId)) < treeSize) {
      if (performance.now() > deadline) {
        throw new ProblemException(problem(503, `The ledger's projection does not hold the ${treeSize} events of this tree yet; retry in a moment`));
      }
      await new Promise((resolve) => setTimeout(resolve, PROJECTION_POLL_MS));
    }
    return this.events.leafHashes(tenantId, treeSize);
  }
}
