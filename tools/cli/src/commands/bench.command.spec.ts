// Benchmarks are not tests: nothing here times anything. What is checked is the command's
// arguments and that the Cedar policy the evaluation benchmark compares against still makes the
// decisions of Halm's default manifest, so a change to the manifest cannot leave the benchmark
// comparing against a different policy without a failing test saying so.
// benchmarks/ is not an Nx project, so the boundary rule cannot see it; only this spec reaches into it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { prepareCedar } from '../../../../benchmarks/policy-evaluation/cedar';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { checkEquivalence, describeDisagreements } from '../../../../benchmarks/policy-evaluation/equivalence';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { EDGE_CASES, MIX } from '../../../../benchmarks/policy-evaluation/requests';
import { bench, BENCHMARKS } from './bench.command';

describe('./halm bench', () => {
  it('lists the benchmarks', async () => {
    const lines: string[] = [];
    await expect(bench(['list'], (line) => lines.push(line))).resolves.toBe(0);
    expect(lines).toHaveLength(BENCHMARKS.length);
    expect(lines[0]).toMatch(/^policy-evaluation\s+Halm evaluate vs Cedar/);
  });

  it('refuses an unknown benchmark before building anything', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(bench(['policy-evaluation', 'nope'], () => undefined)).resolves.toBe(2);
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining('no benchmark nope'));
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('the Cedar equivalent of the default manifest (benchmarks/policy-evaluation)', () => {
  it('permits exactly what Halm allows, with the same status, for the mix and every edge case', () => {
    const checks = checkEquivalence([...MIX, ...EDGE_CASES], prepareCedar());
    expect(checks).toHaveLength(MIX.length + EDGE_CASES.length);
    const disagreements = checks.filter((check) => !check.ok);
    if (disagreements.length > 0) throw new Error(describeDisagreements(checks));
    expect(new Set(MIX.map((request) => request.expected))).toEqual(new Set(['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO']));
  });
});
