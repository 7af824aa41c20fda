import { RepeatedDenialsWatch } from './repeated-denials';

const at = (seconds: number) => new Date(Date.parse('2026-03-15T10:00:00.000Z') + seconds * 1000);

describe('RepeatedDenialsWatch', () => {
  const rule = { threshold: 3, windowMs: 60_000 };

  it('reports the denial that makes an agent reach the threshold within the window, then counts afresh', () => {
    const watch = new RepeatedDenialsWatch(rule);

    expect(watch.denied('ten_a', 'bot', 'p1', at(0))).toBeNull();
    expect(watch.denied('ten_a', 'bot', 'p2', at(10))).toBeNull();
    const streak = watch.denied('ten_a', 'bot', 'p3', at(20));

    expect(streak).toMatchObject({ tenantId: 'ten_a', agentId: 'bot', proposalIds: ['p1', 'p2', 'p3'] });
    expect(watch.denied('ten_a', 'bot', 'p4', at(21))).toBeNull();
  });

  it('forgets denials older than the window, and counts each agent and tenant apart', () => {
    const watch = new RepeatedDenialsWatch(rule);
    watch.denied('ten_a', 'bot', 'p1', at(0));
    watch.denied('ten_a', 'bot', 'p2', at(30));
    watch.denied('ten_a', 'other', 'p3', at(40));
    watch.denied('ten_b', 'bot', 'p4', at(40));

    expect(watch.denied('ten_a', 'bot', 'p5', at(61))).toBeNull();
  });

  it('counts a proposal decided again (after a stale decision) once', () => {
    const watch = new RepeatedDenialsWatch(rule);
    watch.denied('ten_a', 'bot', 'p1', at(0));
    watch.denied('ten_a', 'bot', 'p1', at(1));

    expect(watch.denied('ten_a', 'bot', 'p2', at(2))).toBeNull();
  });

  it('names the anomaly after the tenant, the agent and the window, so instances report one', () => {
    const first = new RepeatedDenialsWatch(rule);
    const second = new RepeatedDenialsWatch(rule);
    for (const proposalId of ['p1', 'p2']) first.denied('ten_a', 'bot', proposalId, at(1));
    for (const proposalId of ['p3', 'p4']) second.denied('ten_a', 'bot', proposalId, at(2));

    expect(first.denied('ten_a', 'bot', 'p5', at(3))?.anomalyId).toBe(second.denied('ten_a', 'bot', 'p6', at(4))?.anomalyId);
  });
});
