import type { DataSource } from 'typeorm';
import type { ProposalLifecycle, ProposalRow } from '@halm/domain';
import { ProposalEntity } from './entities/proposal.entity';
import { rowOfEntity } from './proposal-projection';

/** Where a page of proposals starts: strictly before this decision time (and, at that time, this proposal id). */
export interface ProposalCursor {
  decidedAt: string;
  proposalId?: string;
}

export interface ProposalListQuery {
  /** Only these lifecycles; every lifecycle when absent or empty. */
  lifecycles?: readonly ProposalLifecycle[];
  limit: number;
  before?: ProposalCursor;
}

/** Reads the `proposals` projection, always within one tenant. */
export class ProposalReadModel {
  constructor(private readonly dataSource: DataSource) {}

  async find(tenantId: string, proposalId: string): Promise<ProposalRow | undefined> {
    const entity = await this.dataSource.getRepository(ProposalEntity).findOneBy({ tenantId, proposalId });
    return entity ? rowOfEntity(entity) : undefined;
  }

  /** Newest decision first; ties on the decision time are ordered by proposal id, so a cursor never skips one. */
  async list(tenantId: string, query: ProposalListQuery): Promise<ProposalRow[]> {
    const builder = this.dataSource.getRepository(ProposalEntity).createQueryBuilder('p').where('p.tenantId = :tenantId', { tenantId });
    if (query.lifecycles && query.lifecycles.length > 0) builder.andWhere('p.lifecycle IN (:...lifecycles)', { lifecycles: query.lifecycles });
    if (query.before?.proposalId !== undefined) {
      builder.andWhere('(p.decidedAt, p.proposalId) < (CAST(:decidedAt AS timestamptz), :proposalId)', query.before);
    } else if (query.before) {
      builder.andWhere('p.decidedAt < CAST(:decidedAt AS timestamptz)', { decidedAt: query.before.decidedAt });
    }
    const entities = await builder.orderBy('p.decidedAt', 'DESC').addOrderBy('p.proposalId', 'DESC').limit(query.limit).getMany();
    return entities.map(rowOfEntity);
  }
}
