import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_TYPES, DECISION_STATUSES } from '@halm/contracts';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { BUDGET_FIELDS, compileManifest, ID_PATTERN, MANIFEST_FIELDS, MANIFEST_LIMITS, type ManifestError, RULE_FIELDS } from './compile-manifest';
import { DEFAULT_MANIFEST, DEFAULT_MANIFEST_SOURCE } from './default-manifest';
import { BUDGET_SCOPES, parseDuration } from './manifest';

interface CompileErrorCase {
  name: string;
  manifest: string;
  errors: ManifestError[];
}

const invalidDirectory = join(__dirname, 'cases', 'invalid-manifests');
const errorCases = JSON.parse(readFileSync(join(invalidDirectory, 'expected-errors.json'), 'utf8')) as CompileErrorCase[];

const errorsOf = (source: string | object): ManifestError[] => {
  const compiled = compileManifest(source);
  return compiled.ok ? [] : compiled.errors;
};

const minimal = { autoCommitThreshold: 0.8, rules: [{ id: 'allow-all', actionTypes: ['*'], effect: 'ALLOW', reason: 'Allowed' }] };

describe('compileManifest', () => {
  describe('rejects a bad manifest with the path of every bad field', () => {
    it.each(errorCases.map((errorCase) => [errorCase.name, errorCase] as const))('%s', (_name, errorCase) => {
      const compiled = compileManifest(readFileSync(join(invalidDirectory, errorCase.manifest), 'utf8'));

      expect(compiled).toEqual({ ok: false, errors: errorCase.errors });
    });

    it('has an expectation for every bad manifest', () => {
      const files = readdirSync(invalidDirectory).filter((file) => file.endsWith('.yaml'));

      expect(files.sort()).toEqual(errorCases.map((errorCase) => errorCase.manifest).sort());
    });
  });

  it('compiles the default manifest', () => {
    expect(compileManifest(DEFAULT_MANIFEST_SOURCE)).toMatchObject({ ok: true, manifest: { version: 1, autoCommitThreshold: 0.8, hash: DEFAULT_MANIFEST.hash } });
  });

  it('reads the same manifest from YAML, from JSON text and from an object', () => {
    const fromYaml = compileManifest(DEFAULT_MANIFEST_SOURCE);
    const fromJson = compileManifest(JSON.stringify(DEFAULT_MANIFEST.document));
    const fromObject = compileManifest(JSON.parse(JSON.stringify(DEFAULT_MANIFEST.document)) as object);

    expect(fromJson.ok && fromJson.manifest.document).toEqual(DEFAULT_MANIFEST.document);
    expect(fromObject.ok && fromObject.manifest.hash).toBe(DEFAULT_MANIFEST.hash);
    expect(fromYaml.ok && fromYaml.manifest.hash).toBe(DEFAULT_MANIFEST.hash);
  });

  it('keeps the version apart from the document', () => {
    const compiled = compileManifest({ ...minimal, version: 4 });

    expect(compiled.ok && compiled.manifest.version).toBe(4);
    expect(compiled.ok && compiled.manifest.document).toEqual({ ...minimal, budgets: [] });
  });

  it('normalizes the document: only known fields, budgets always present, nothing shared with the source', () => {
    const source = { description: 'Mine', ...minimal, rules: [{ ...minimal.rules[0], constraints: { limits: { max: 3 } } }] };

    const compiled = compileManifest(source);
    source.rules[0]!.constraints.limits.max = 99;

    expect(compiled.ok && compiled.manifest.document).toEqual({
      description: 'Mine',
      autoCommitThreshold: 0.8,
      rules: [{ id: 'allow-all', actionTypes: ['*'], effect: 'ALLOW', reason: 'Allowed', constraints: { limits: { max: 3 } } }],
      budgets: [],
    });
    expect(compiled.ok && Object.isFrozen(compiled.manifest.document.rules[0]?.constraints?.['limits'])).toBe(true);
  });

  it('accepts an empty list of rules', () => {
    expect(compileManifest('autoCommitThreshold: 0.5\nrules: []\n').ok).toBe(true);
  });

  it.each([
    ['an empty source', '', [{ path: '', message: 'a manifest must be an object, got null' }]],
    ['a scalar', '42', [{ path: '', message: 'a manifest must be an object, got number 42' }]],
    ['a NaN threshold', { ...minimal, autoCommitThreshold: NaN }, [{ path: '/autoCommitThreshold', message: 'must be a number from 0 to 1, got number NaN' }]],
    [
      'a constraint that is not JSON',
      { ...minimal, rules: [{ ...minimal.rules[0], constraints: { at: new Date(0), run: () => 1, gone: undefined } }] },
      [
        { path: '/rules/0/constraints/at', message: 'must be a JSON value, got an object' },
        { path: '/rules/0/constraints/run', message: 'must be a JSON value, got a function' },
        { path: '/rules/0/constraints/gone', message: 'must be a JSON value, got undefined' },
      ],
    ],
    ['a condition that is not a string', { ...minimal, rules: [{ ...minimal.rules[0], when: true }] }, [{ path: '/rules/0/when', message: 'must be a string, got boolean true' }]],
    ['an empty condition', { ...minimal, rules: [{ ...minimal.rules[0], when: '  ' }] }, [{ path: '/rules/0/when', message: 'must not be empty' }]],
    ['a reason with a lone surrogate', { ...minimal, rules: [{ ...minimal.rules[0], reason: 'bad \ud800' }] }, [{ path: '/rules/0/reason', message: 'must be valid Unicode (it holds a lone surrogate)' }]],
    [
      'a reason that is too long',
      { ...minimal, rules: [{ ...minimal.rules[0], reason: 'x'.repeat(MANIFEST_LIMITS.reasonLength + 1) }] },
      [{ path: '/rules/0/reason', message: `must be at most ${MANIFEST_LIMITS.reasonLength} characters, got ${MANIFEST_LIMITS.reasonLength + 1}` }],
    ],
    [
      'too many rules',
      { ...minimal, rules: Array.from({ length: MANIFEST_LIMITS.rules + 1 }, (_, index) => ({ ...minimal.rules[0], id: `rule-${index}` })) },
      [{ path: '/rules', message: `must hold at most ${MANIFEST_LIMITS.rules} entries, got ${MANIFEST_LIMITS.rules + 1}` }],
    ],
    ['an unknown field named with a slash', { ...minimal, 'a/b~c': 1 }, [{ path: '/a~1b~0c', message: "is not a known field; expected one of 'version', 'description', 'autoCommitThreshold', 'rules', 'budgets'" }]],
    ['a version that is not a whole number', { ...minimal, version: 1.5 }, [{ path: '/version', message: 'must be a whole number of at least 1, got number 1.5' }]],
    [
      'a YAML alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      [{ path: '', message: 'YAML: Excessive alias count indicates a resource exhaustion attack' }],
    ],
  ])('rejects %s', (_name, source, errors) => {
    expect(compileManifest(source)).toEqual({ ok: false, errors });
  });

  it('reports a CEL error at its line and column in a multi-line expression', () => {
    const errors = errorsOf({ ...minimal, rules: [{ ...minimal.rules[0], effect: 'DENY', when: 'payload.a > 1 &&\n  payload.b >= ' }] });

    expect(errors).toEqual([{ path: '/rules/0/when', message: 'CEL: Unexpected token: EOF', line: 2, column: 16 }]);
  });
});

describe('the JSON Schema', () => {
  interface Schema {
    properties: Record<string, unknown>;
    required: string[];
    $defs: Record<string, { properties?: Record<string, { enum?: string[]; [key: string]: unknown }>; required?: string[]; pattern?: string; maxLength?: number; oneOf?: { items?: { enum: string[] } }[] }>;
  }
  const schema = JSON.parse(readFileSync(join(__dirname, 'policy-manifest.schema.json'), 'utf8')) as Schema & { $schema: string; properties: Record<string, { maxItems?: number }> };
  const definitions = schema.$defs;

  it('is draft 2020-12', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('names the same fields as the validator, and requires the same ones', () => {
    expect(Object.keys(schema.properties)).toEqual([...MANIFEST_FIELDS]);
    expect(Object.keys(definitions['rule']?.properties ?? {})).toEqual([...RULE_FIELDS]);
    expect(Object.keys(definitions['budget']?.properties ?? {})).toEqual([...BUDGET_FIELDS]);
    expect(schema.required).toEqual(['autoCommitThreshold', 'rules']);
    expect(definitions['rule']?.required).toEqual(['id', 'actionTypes', 'effect', 'reason']);
    expect(definitions['budget']?.required).toEqual(['id', 'actionTypes', 'scope', 'window', 'amount', 'critical']);
  });

  it('lists the same effects, action types and scopes, id pattern and limits', () => {
    expect(definitions['rule']?.properties?.['effect']?.enum).toEqual([...DECISION_STATUSES]);
    expect(definitions['actionTypes']?.oneOf?.[1]?.items?.enum).toEqual([...ACTION_TYPES]);
    expect(definitions['budget']?.properties?.['scope']?.enum).toEqual([...BUDGET_SCOPES]);
    expect(definitions['id']?.pattern).toBe(ID_PATTERN.source);
    expect(definitions['id']?.maxLength).toBe(MANIFEST_LIMITS.idLength);
    expect(definitions['cel']?.maxLength).toBe(MANIFEST_LIMITS.expressionLength);
    expect(schema.properties['rules']?.maxItems).toBe(MANIFEST_LIMITS.rules);
    expect(schema.properties['budgets']?.maxItems).toBe(MANIFEST_LIMITS.budgets);
  });

  describe('validated with a JSON Schema validator', () => {
    const validate = new Ajv2020({ allErrors: true }).compile(schema);
    const manifestsDirectory = join(__dirname, 'cases', 'manifests');

    it.each(readdirSync(manifestsDirectory))('accepts cases/manifests/%s', (file) => {
      expect(validate(parseYaml(readFileSync(join(manifestsDirectory, file), 'utf8')))).toBe(true);
    });

    it('accepts the default manifest', () => {
      expect(validate(parseYaml(DEFAULT_MANIFEST_SOURCE))).toBe(true);
    });

    // CEL, unique ids and warning <= critical are beyond a schema; the compiler still rejects those manifests.
    it.each([
      ['missing-fields.yaml', false],
      ['wrong-types.yaml', false],
      ['bad-rules.yaml', false],
      ['bad-budgets.yaml', false],
      ['thresholds-out-of-range.yaml', false],
      ['not-an-object.yaml', false],
      ['cel-syntax-error.yaml', true],
      ['cel-type-errors.yaml', true],
      ['duplicate-ids.yaml', true],
    ])('judges invalid-manifests/%s structurally valid: %s', (file, valid) => {
      expect(validate(parseYaml(readFileSync(join(invalidDirectory, file), 'utf8')))).toBe(valid);
    });
  });

  it.each(['90s', '15m', '1h', '1h30m', '7d', '0s', '00m', '1 hour', '1H', '', '10', 'h'])('agrees with the validator on whether %j is a positive duration', (text) => {
    const pattern = new RegExp(definitions['duration']?.pattern as string);

    expect(pattern.test(text)).toBe((parseDuration(text) ?? 0) > 0);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['7d', 604_800],
    ['0s', 0],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '1', '1 h', '1H', '1.5h', '-1h', 'h1'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('docs/policy-manifests.md', () => {
  const documentation = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'policy-manifests.md'), 'utf8');
  const yamlBlocks = [...documentation.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] as string);

  it('shows the default manifest exactly as new tenants get it', () => {
    expect(yamlBlocks).toContain(DEFAULT_MANIFEST_SOURCE);
  });

  it.each(yamlBlocks.map((block, index) => [index + 1, block] as const))('has example manifest %d compile', (_index, block) => {
    expect(errorsOf(block)).toEqual([]);
  });
});
