/**
 * Policy evaluation: Halm's `evaluate` with the compiled default manifest against Cedar
 * (`@cedar-policy/cedar-wasm`) on the equivalent policy set in
 * benchmarks/policy-evaluation/default-manifest.cedar, in the same process, over the same
 * request mix, interleaved round by round. docs/performance.md explains the mapping.
 *
 * Before anything is timed, every request of the mix and every edge case goes through Halm and
 * every Cedar variant; the run stops with exit code 1 if any Cedar answer differs from Halm's
 * (permit vs allowed, and the status Cedar's deciding policies stand for) or Halm's status from
 * the one expected.
 *
 *   node benchmarks/dist/policy-evaluation.bench.js [--rounds 15] [--round-ms 200] [--warmup-ms 1000] [--quick]
 *   ./halm bench policy-evaluation [-- options]
 */
import { DEFAULT_MANIFEST, evaluate } from '@halm/domain';
import { type Contender, describeMachine, formatNumber, machine, markdownTable, type Measurement, measureInterleaved, measureOptions, publish } from './harness';
import { cedar, cedarCalls, type CedarPolicySets, type CedarVariant, permits, prepareCedar } from './policy-evaluation/cedar';
import { CEDAR_VARIANTS, checkEquivalence, describeDisagreements, NOW, POLICY } from './policy-evaluation/equivalence';
import { EDGE_CASES, MIX, type PolicyRequest } from './policy-evaluation/requests';

const NAME = 'policy-evaluation';
/** Issue 6: evaluation at least 5× Cedar. */
const TARGET_RATIO = 5;

const halmContender = (requests: readonly PolicyRequest[]): Contender => {
  const proposals = requests.map((request) => request.proposal);
  const states = requests.map((request) => request.state);
  return {
    name: 'Halm',
    operationsPerPass: requests.length,
    pass: () => {
      let allowed = 0;
      for (let index = 0; index < proposals.length; index += 1) {
        if (evaluate(proposals[index]!, DEFAULT_MANIFEST, POLICY, states[index]!, NOW).allowed) allowed += 1;
      }
      return allowed;
    },
  };
};

/** Every call built before the clock starts, as Halm's proposals are. */
const cedarContender = (variant: CedarVariant, requests: readonly PolicyRequest[], sets: CedarPolicySets): Contender => {
  const { calls, authorize } = cedarCalls(variant, requests, sets);
  return {
    name: variant.name,
    operationsPerPass: calls.length,
    pass: () => {
      let allowed = 0;
      for (let index = 0; index < calls.length; index += 1) if (permits(authorize(calls[index]))) allowed += 1;
      return allowed;
    },
  };
};

/**
 * Not an equivalent policy, so only a reference: one permit-all policy and an empty context,
 * what any call through the wasm binding costs before Cedar has anything to decide.
 */
const cedarEmptyCall = (requests: readonly PolicyRequest[]): Contender => {
  const answer = cedar.preparsePolicySet('permit-all', { staticPolicies: 'permit (principal, action, resource);' });
  if (answer.type !== 'success') throw new Error('the permit-all policy does not parse');
  const calls: cedar.StatefulAuthorizationCall[] = requests.map((request) => ({
    principal: { type: 'Agent', id: request.proposal.context.agentId ?? 'unknown' },
    action: { type: 'Action', id: request.proposal.type },
    resource: { type: 'Tenant', id: request.proposal.tenantId },
    context: {},
    entities: [],
    preparsedPolicySetId: 'permit-all',
  }));
  return {
    name: 'Cedar, empty call',
    operationsPerPass: calls.length,
    pass: () => {
      let allowed = 0;
      for (let index = 0; index < calls.length; index += 1) if (permits(cedar.statefulIsAuthorized(calls[index]!))) allowed += 1;
      return allowed;
    },
  };
};

const main = (): number => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const options = measureOptions(args, quick ? { rounds: 5, roundMs: 100, warmupMs: 300 } : { rounds: 15, roundMs: 200, warmupMs: 1_000 });
  const started = machine();
  const sets = prepareCedar();

  // 1. Equivalence, before any timing.
  const checks = checkEquivalence([...MIX, ...EDGE_CASES], sets);
  if (checks.some((check) => !check.ok)) {
    process.stderr.write(`policy-evaluation: nothing was timed. ${describeDisagreements(checks)}\n`);
    return 1;
  }
  process.stdout.write(`policy-evaluation: Halm and ${CEDAR_VARIANTS.length} Cedar variants agree on all ${checks.length} requests (${MIX.length} in the mix, ${EDGE_CASES.length} edge cases)\n`);

  // 2. The mix, Halm and every Cedar variant interleaved.
  process.stdout.write(`policy-evaluation: ${options.rounds} rounds of ${options.roundMs} ms per engine after ${options.warmupMs} ms of warm-up each…\n`);
  const results = measureInterleaved([halmContender(MIX), ...CEDAR_VARIANTS.map((variant) => cedarContender(variant, MIX, sets)), cedarEmptyCall(MIX)], options);
  const halm = results[0] as Measurement;
  const headline = results[1] as Measurement;
  const ratio = halm.medianPerSecond / headline.medianPerSecond;

  // 3. Each request of the mix alone, Halm and the compared Cedar interleaved: where the time goes.
  process.stdout.write('policy-evaluation: each request of the mix alone…\n');
  const compared = CEDAR_VARIANTS[0] as CedarVariant;
  const perRequest = MIX.map((request) => {
    const [alone, cedarAlone] = measureInterleaved(
      [halmContender([request]), cedarContender(compared, [request], sets)],
      quick ? { rounds: 3, roundMs: 30, warmupMs: 60 } : { rounds: 7, roundMs: 50, warmupMs: 200 },
    ) as [Measurement, Measurement];
    return { request, halm: alone, cedar: cedarAlone };
  });

  const micros = (measurement: Measurement) => formatNumber(measurement.medianMicros, 3);
  const descriptions: Record<string, string> = { Halm: '`evaluate(proposal, DEFAULT_MANIFEST, …)`, manifest compiled once' };
  for (const variant of CEDAR_VARIANTS) descriptions[variant.name] = variant.description;
  descriptions['Cedar, empty call'] = 'reference, not equivalent: `statefulIsAuthorized` with one permit-all policy and an empty context, the cost of a call through the wasm binding';
  const report = [
    '## Policy evaluation: Halm vs Cedar',
    '',
    `Halm \`evaluate\` with the compiled default manifest (hash \`${DEFAULT_MANIFEST.hash.slice(0, 12)}…\`) against Cedar ${cedar.getCedarVersion()} ` +
      `(\`@cedar-policy/cedar-wasm\` ${cedar.getCedarSDKVersion()}) on the equivalent policy set ` +
      '`benchmarks/policy-evaluation/default-manifest.cedar`; ' +
      `a mix of ${MIX.length} requests covering every status, each engine's inputs built once before timing; same process, ${options.rounds} interleaved rounds of ` +
      `${options.roundMs} ms per engine after ${options.warmupMs} ms of warm-up; Halm and every Cedar variant agreed on all ${checks.length} requests ` +
      `(the mix and ${EDGE_CASES.length} edge cases) before anything was timed.`,
    '',
    markdownTable(
      ['engine', 'how it is asked', 'decisions/s (median)', 'µs per decision (median)', 'rounds, decisions/s (min–max)', 'Halm ÷ this'],
      results.map((result) => [
        result.name,
        descriptions[result.name] ?? '',
        formatNumber(result.medianPerSecond),
        micros(result),
        `${formatNumber(result.minPerSecond)}–${formatNumber(result.maxPerSecond)}`,
        result === halm ? '1' : `${formatNumber(halm.medianPerSecond / result.medianPerSecond, 3)}×`,
      ]),
    ),
    '',
    `**Halm ÷ Cedar: ${formatNumber(ratio, 3)}×** (decisions per second against the first Cedar row, Cedar's fastest way we found); ` +
      `target at least ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : '**missed**'}.`,
    '',
    `Machine: ${describeMachine(started)}.`,
    '',
    '### Each request alone (µs per decision, median)',
    '',
    markdownTable(
      ['request', 'decision', 'Halm', 'Cedar', 'Halm ÷ Cedar'],
      perRequest.map(({ request, halm: alone, cedar: cedarAlone }) => [
        request.label,
        request.expected,
        micros(alone),
        micros(cedarAlone),
        `${formatNumber(alone.medianPerSecond / cedarAlone.medianPerSecond, 3)}×`,
      ]),
    ),
  ].join('\n');
  publish(NAME, report);
  return 0;
};

process.exitCode = main();
