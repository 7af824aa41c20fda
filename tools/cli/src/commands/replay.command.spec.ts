import { parseReplayArguments, REPLAY_USAGE, WHAT_IF_USAGE } from './replay.command';

describe('parseReplayArguments', () => {
  it('reads a tenant, a height range and --json', () => {
    expect(parseReplayArguments('replay', ['tenant-a', '--from', '10', '--to=20', '--json'])).toEqual({ tenantId: 'tenant-a', fromHeight: 10, toHeight: 20, json: true });
    expect(parseReplayArguments('what-if', ['tenant-a', 'candidate.yaml'])).toEqual({ tenantId: 'tenant-a', manifestFile: 'candidate.yaml', json: false });
  });

  it('reads an export file instead of a tenant, with the tenant as an optional check', () => {
    expect(parseReplayArguments('replay', ['--file', 'export.json'])).toEqual({ file: 'export.json', json: false });
    expect(parseReplayArguments('replay', ['tenant-a', '--file', 'export.json'])).toEqual({ tenantId: 'tenant-a', file: 'export.json', json: false });
    expect(parseReplayArguments('what-if', ['--file', 'export.json', 'candidate.yaml'])).toEqual({ file: 'export.json', manifestFile: 'candidate.yaml', json: false });
  });

  it.each([
    [['replay', []], REPLAY_USAGE],
    [['replay', ['a', 'b']], REPLAY_USAGE],
    [['what-if', ['tenant-a']], WHAT_IF_USAGE],
    [['replay', ['tenant-a', '--from', '0']], '--from needs a height: a whole number from 1'],
    [['replay', ['tenant-a', '--to', 'x']], '--to needs a height: a whole number from 1'],
    [['replay', ['tenant-a', '--from', '9', '--to', '3']], '--to must be at least --from'],
    [['replay', ['bad tenant!']], 'the tenant id must be letters, digits, _ and -'],
    [['replay', ['tenant-a', '--verbose']], `unknown option --verbose; ${REPLAY_USAGE}`],
  ] as const)('refuses %j', ([command, args], problem) => {
    expect(parseReplayArguments(command, args)).toBe(problem);
  });
});
