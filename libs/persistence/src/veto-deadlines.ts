import type { DataSource } from 'typeorm';
import { ProposalEntity } from './entities/proposal.entity';

export interface DueVetoWindow {
  tenantId: string;
  proposalId: string;
  vetoDeadline: string;
}

/** Held proposals whose veto deadline has passed without a veto, across all tenants, oldest deadline first. */
export const dueVetoWindows = async (dataSource: DataSource, now: Date, limit: number): Promise<DueVetoWindow[]> => {
  const rows = await dataSource
    .getRepository(ProposalEntity)
    .createQueryBuilder('p')
    .select(['p.tenantId', 'p.proposalId', 'p.vetoDeadline'])
    .where("p.lifecycle = 'HELD_FOR_VETO'")
    .andWhere('p.vetoDeadline <= :now', { now })
    .orderBy('p.vetoDeadline', 'ASC')
    .limit(limit)
    .getMany();
  return rows.map((row) => ({ tenantId: row.tenantId, proposalId: row.proposalId, vetoDeadline: (row.vetoDeadline as Date).toISOString() }));
};
