import { INVARIANT_NAMES, type IncidentView, type IntegrityCheckReply } from '@halm/contracts';
import { describeIncident, parseIncidentsArguments } from './incidents.command';
import { describeCheck, parseIntegrityArguments } from './integrity.command';

describe('parseIntegrityArguments', () => {
  it('reads check with a tenant, --full and --json, and status', () => {
    expect(parseIntegrityArguments(['check'])).toEqual({ verb: 'check', tenantId: undefined, full: false, json: false });
    expect(parseIntegrityArguments(['check', '--tenant=ten_a', '--full', '--json'])).toEqual({ verb: 'check', tenantId: 'ten_a', full: true, json: true });
    expect(parseIntegrityArguments(['status', '--json'])).toEqual({ verb: 'status', tenantId: undefined, full: false, json: true });
  });

  it.each([
    [['check', '--tenant', 'a.b'], /--tenant must be a tenant id/],
    [['status', '--full'], /unknown argument --full/],
    [['status', '--tenant', 'ten_a'], /unknown argument --tenant/],
    [['verify'], /^usage/],
    [[], /^usage/],
  ])('refuses %j', (args, message) => {
    expect(parseIntegrityArguments(args)).toEqual(expect.stringMatching(message));
  });
});

describe('parseIncidentsArguments', () => {
  it('reads list with its filters and show with an id', () => {
    expect(parseIncidentsArguments(['list'])).toEqual({ verb: 'list', tenantId: undefined, status: undefined, limit: 50, json: false });
    expect(parseIncidentsArguments(['list', '--tenant', 'ten_a', '--status=OPEN', '--limit', '5', '--json'])).toEqual({ verb: 'list', tenantId: 'ten_a', status: 'OPEN', limit: 5, json: true });
    expect(parseIncidentsArguments(['show', 'inc_1', '--json'])).toEqual({ verb: 'show', incidentId: 'inc_1', json: true });
    expect(parseIncidentsArguments(['resolve', 'inc_1', '--reason', 'a test event'])).toEqual({ verb: 'resolve', incidentId: 'inc_1', reason: 'a test event', json: false });
  });

  it.each([
    [['list', '--status', 'CLOSED'], /--status must be one of OPEN, RESOLVED/],
    [['list', '--limit', '0'], /--limit needs a whole number/],
    [['list', 'inc_1'], /^usage/],
    [['show'], /^usage/],
    [['show', 'inc_1', '--tenant', 'ten_a'], /unknown option --tenant/],
    [['open'], /^usage/],
    [['resolve', 'inc_1'], /resolve needs --reason/],
    [['resolve', '--reason', 'x'], /^usage/],
  ])('refuses %j', (args, message) => {
    expect(parseIncidentsArguments(args)).toEqual(expect.stringMatching(message));
  });
});

describe('the reports for people', () => {
  it('names every invariant of a check, the failing ones and the incidents opened', () => {
    const reply: IntegrityCheckReply = {
      run: {
        runId: 'irun_1',
        startedAt: '2026-03-15T10:00:00.000Z',
        finishedAt: '2026-03-15T10:00:00.100Z',
        durationMs: 100,
        eventsExamined: 7,
        results: INVARIANT_NAMES.map((invariant) => ({ invariant, passing: invariant !== 'LOCKDOWN_OVERRIDES_ALL', eventsExamined: 7 })),
      },
      tenants: [
        { tenantId: 'ten_a', checked: true, height: 7, eventsExamined: 7, results: [{ invariant: 'LOCKDOWN_OVERRIDES_ALL', passing: false, eventsExamined: 7 }], incidentsOpened: ['inc_1'], notes: [] },
        { tenantId: 'ten_b', checked: false, height: 0, eventsExamined: 0, results: [], incidentsOpened: [], notes: ['another monitor instance was checking this tenant'] },
      ],
    };

    expect(describeCheck(reply)).toEqual([
      'run irun_1: 1 tenant(s), 7 new event(s) examined in 100 ms',
      '  pass  NO_SIDE_EFFECT_WITHOUT_ALLOW',
      '  pass  EXECUTION_TOKEN_REQUIRED',
      '  pass  DECISION_HASH_VALID',
      '  pass  HASH_CHAIN_CONTINUOUS',
      '  FAIL  LOCKDOWN_OVERRIDES_ALL',
      '  pass  TENANT_ISOLATION_ENFORCED',
      'tenant ten_a (height 7): LOCKDOWN_OVERRIDES_ALL; incidents opened: inc_1',
      'tenant ten_b: not checked: another monitor instance was checking this tenant',
    ]);
  });

  it('shows an incident with each event of its evidence', () => {
    const incident: IncidentView = {
      incidentId: 'inc_1',
      tenantId: 'ten_a',
      invariant: 'LOCKDOWN_OVERRIDES_ALL',
      openedAt: '2026-03-15T10:00:00.000Z',
      status: 'OPEN',
      summary: 'An execution started during lockdown lck_1',
      evidence: { events: [{ height: 7, eventId: 'e7', hash: 'ab', problem: 'an execution started during lockdown lck_1' }], code: 'EXECUTION_DURING_LOCKDOWN' },
    };

    expect(describeIncident(incident, true)).toEqual([
      'inc_1  OPEN  2026-03-15T10:00:00.000Z  tenant ten_a  LOCKDOWN_OVERRIDES_ALL',
      '  An execution started during lockdown lck_1',
      '  height 7  e7  ab: an execution started during lockdown lck_1',
      '  {"code":"EXECUTION_DURING_LOCKDOWN"}',
    ]);
  });
});
