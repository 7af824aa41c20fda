import { spawn } from 'node:child_process';
// Types only: ajv is a dev dependency, loaded when a test creates OpenApiSchemas (the ./halm CLI imports this lib too).
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { repositoryRoot } from './service-processes';

type Schema = Record<string, unknown>;

export interface OpenApiStructureResult {
  valid: boolean;
  /** The OpenAPI version the validator recognised (`3.1`). */
  version: string | undefined;
  errors: unknown;
}

// @seriousme/openapi-schema-validator is ES-module only with import.meta, which jest's
// CommonJS runtime cannot load on Node 20; a child Node process imports it natively.
const STRUCTURE_SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(input));
  process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
});
`;

/** Validates a document against the official OpenAPI JSON Schema of its version (3.1 here). */
export const validateOpenApiStructure = (document: unknown): Promise<OpenApiStructureResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', STRUCTURE_SCRIPT], { cwd: repositoryRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the OpenAPI validator exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout) as OpenApiStructureResult);
    });
    child.stdin.end(JSON.stringify(document));
  });

const BASE = 'https://halm.invalid/openapi/';
const COMPONENT_REF = /^#\/components\/schemas\/(.+)$/;

/** The document's `#/components/schemas/X` references rewritten to ids ajv can resolve. */
const withResolvableRefs = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withResolvableRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => {
      const match = key === '$ref' && typeof member === 'string' ? COMPONENT_REF.exec(member) : null;
      return [key, match ? `${BASE}${match[1]}` : withResolvableRefs(member)];
    }),
  );
};

type OpenApiLike = { components?: { schemas?: Record<string, Schema> } };

const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/**
 * The schemas of an OpenAPI 3.1 document compiled as JSON Schema 2020-12 (its dialect) by ajv
 * in strict mode: a keyword that is not 2020-12 (OpenAPI 3.0's `nullable`, say) is an error.
 * Then validates values (live responses, examples) against a component or an inline schema.
 */
export class OpenApiSchemas {
  private constructor(
    private readonly document: OpenApiLike,
    private readonly ajv: Ajv2020,
  ) {}

  static async of(document: OpenApiLike): Promise<OpenApiSchemas> {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const schemas = new OpenApiSchemas(document, new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true }));
    schemas.register();
    return schemas;
  }

  private register(): void {
    this.ajv.addFormat('date-time', ISO_DATE_TIME);
    this.ajv.addFormat('uri-reference', /^\S*$/);
    this.ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S*$/i);
    this.ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
    this.ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    for (const [name, schema] of Object.entries(this.document.components?.schemas ?? {})) {
      this.ajv.addSchema({ ...(withResolvableRefs(schema) as Schema), $id: `${BASE}${name}` });
    }
  }

  /** Compiles every component (throws on an invalid or non-2020-12 schema). */
  compileAll(): string[] {
    return Object.keys(this.document.components?.schemas ?? {}).map((name) => {
      this.component(name);
      return name;
    });
  }

  component(name: string): ValidateFunction {
    const validate = this.ajv.getSchema(`${BASE}${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    return validate;
  }

  /** Errors of `value` against a schema (inline, possibly referring to components); empty when valid. */
  errorsOf(schema: Schema, value: unknown): ErrorObject[] {
    const validate = this.ajv.compile(withResolvableRefs(schema) as Schema);
    return validate(value) ? [] : [...(validate.errors ?? [])];
  }
}
