import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';

type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { [keyword: string]: unknown };

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- DTO classes of any constructor shape
export type DtoClass = Function;

/** How one class-validator rule narrows a value, as JSON Schema keywords. */
type RuleMapping = (constraints: readonly unknown[]) => JsonSchema;

/** `@IsIn` admits only its listed values, so their common JSON type is the property's type. */
const typeOfValues = (values: readonly unknown[]): JsonSchema => {
  const types = new Set(values.map((value) => (value === null ? 'null' : typeof value)));
  return types.size === 1 && (types.has('string') || types.has('number') || types.has('boolean')) ? { type: [...types][0] } : {};
};

const regexSource = (value: unknown): string => (value instanceof RegExp ? value.source : String(value));

/**
 * The class-validator rules the request DTOs use, each as the JSON Schema that accepts what it
 * accepts. A rule missing here is reported as a gap (and fails the OpenAPI test) instead of
 * silently documenting less than the server checks.
 */
const RULES: Record<string, RuleMapping> = {
  isString: () => ({ type: 'string' }),
  isNumber: () => ({ type: 'number' }),
  isInt: () => ({ type: 'integer' }),
  isBoolean: () => ({ type: 'boolean' }),
  isObject: () => ({ type: 'object' }),
  isArray: () => ({ type: 'array' }),
  isIn: ([values]) => ({ ...typeOfValues(values as unknown[]), enum: [...(values as unknown[])] }),
  isEnum: ([entity, values]) => ({ enum: [...((values as unknown[] | undefined) ?? Object.values(entity as object))] }),
  min: ([value]) => ({ minimum: value }),
  max: ([value]) => ({ maximum: value }),
  isPositive: () => ({ exclusiveMinimum: 0 }),
  isNegative: () => ({ exclusiveMaximum: 0 }),
  minLength: ([value]) => ({ minLength: value }),
  maxLength: ([value]) => ({ maxLength: value }),
  isLength: ([min, max]) => ({ minLength: min, ...(max !== undefined ? { maxLength: max } : {}) }),
  matches: ([pattern]) => ({ pattern: regexSource(pattern) }),
  isNotEmpty: () => ({ not: { const: '' } }),
  arrayMinSize: ([value]) => ({ minItems: value }),
  arrayMaxSize: ([value]) => ({ maxItems: value }),
  arrayNotEmpty: () => ({ minItems: 1 }),
  arrayUnique: () => ({ uniqueItems: true }),
  isUuid: () => ({ type: 'string', format: 'uuid' }),
  isIso8601: () => ({ type: 'string', format: 'date-time' }),
  isDateString: () => ({ type: 'string', format: 'date-time' }),
  isUrl: () => ({ type: 'string', format: 'uri' }),
  isEmail: () => ({ type: 'string', format: 'email' }),
  isNumberString: () => ({ type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' }),
};

/** Keywords that narrow a value of a given type: they go next to the `type` they refine. */
const ARRAY_KEYWORDS = new Set(['minItems', 'maxItems', 'uniqueItems']);

export interface DtoSchemaOptions {
  /** Descriptions of DTO properties, by component name and property. */
  descriptions?: Record<string, Record<string, string>>;
  /** Mappings for custom class-validator rules (by their registered name). */
  customRules?: Record<string, RuleMapping>;
}

/**
 * Turns DTO classes into JSON Schema components from their class-validator metadata: the
 * very rules the validation pipe enforces, so the documented request cannot drift from the
 * checked one. Components are named after the class without its `Dto` suffix.
 *
 * Reading of the rules: `@IsDefined` makes a property required; `@ValidateIf` makes it
 * optional (Halm's optional fields are "may be left out, not null"); `@IsOptional` makes it
 * optional and nullable; any other property is required (class-validator checks it even when
 * absent). `@ValidateNested` refers to the property's declared class.
 */
export class DtoSchemas {
  readonly components: Record<string, JsonSchema> = {};
  readonly gaps: string[] = [];
  private readonly names = new Map<DtoClass, string>();
  private readonly schemas = new Map<DtoClass, JsonSchema>();
  private readonly rules: Record<string, RuleMapping>;

  constructor(private readonly options: DtoSchemaOptions = {}) {
    this.rules = { ...RULES, ...options.customRules };
  }

  /** Whether class-validator knows rules for this class (false for String, Object, …). */
  static isDto(type: unknown): type is DtoClass {
    return typeof type === 'function' && metadataOf(type).length > 0;
  }

  /** A reference to the class's component, adding it (and the classes it nests) on first use. */
  ref(dto: DtoClass): JsonSchema {
    return { $ref: `#/components/schemas/${this.nameOf(dto)}` };
  }

  nameOf(dto: DtoClass): string {
    const known = this.names.get(dto);
    if (known) return known;
    const name = dto.name.replace(/Dto$/, '') || 'Anonymous';
    if ([...this.names.values()].includes(name)) this.gaps.push(`two DTO classes are both named ${name}`);
    // Named before its schema is built, so a class that nests itself refers to itself and terminates.
    this.names.set(dto, name);
    this.components[name] = this.schemaOf(dto);
    return name;
  }

  /** The class's properties one by one: for query-string DTOs, whose properties are parameters. */
  properties(dto: DtoClass): { name: string; required: boolean; schema: JsonSchema }[] {
    const schema = this.schemaOf(dto);
    const required = new Set(schema['required'] as string[] | undefined);
    return Object.entries(schema['properties'] as Record<string, JsonSchema>).map(([name, property]) => ({ name, required: required.has(name), schema: property }));
  }

  private schemaOf(dto: DtoClass): JsonSchema {
    let schema = this.schemas.get(dto);
    if (!schema) {
      schema = this.objectSchema(dto, dto.name.replace(/Dto$/, ''));
      this.schemas.set(dto, schema);
    }
    return schema;
  }

  private objectSchema(dto: DtoClass, component: string): JsonSchema {
    const byProperty = new Map<string, ValidationMetadata[]>();
    for (const metadata of metadataOf(dto)) {
      byProperty.set(metadata.propertyName, [...(byProperty.get(metadata.propertyName) ?? []), metadata]);
    }
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [property, metadata] of byProperty) {
      const { schema, isRequired } = this.propertySchema(dto, property, metadata, `${component}.${property}`);
      const description = this.options.descriptions?.[component]?.[property];
      properties[property] = description ? { description, ...schema } : schema;
      if (isRequired) required.push(property);
    }
    return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
  }

  private propertySchema(dto: DtoClass, property: string, metadata: ValidationMetadata[], where: string): { schema: JsonSchema; isRequired: boolean } {
    let own: JsonSchema = {};
    let items: JsonSchema = {};
    let optional = false;
    let nullable = false;
    let defined = false;
    let nested: DtoClass | undefined;
    for (const rule of metadata) {
      switch (rule.type) {
        case 'isDefined':
          defined = true;
          break;
        case 'conditionalValidation':
          optional = true;
          if (rule.name === 'isOptional') nullable = true;
          break;
        case 'nestedValidation': {
          const declared = Reflect.getMetadata('design:type', dto.prototype, property) as unknown;
          if (DtoSchemas.isDto(declared)) nested = declared;
          else this.gaps.push(`${where}: @ValidateNested on a property whose declared type is not a DTO class`);
          break;
        }
        case 'whitelistValidation':
        case 'promiseValidation':
          break;
        case 'customValidation': {
          const mapping = rule.name ? this.rules[rule.name] : undefined;
          if (!mapping) {
            this.gaps.push(`${where}: no JSON Schema mapping for the class-validator rule '${rule.name ?? 'anonymous'}' (add it in apps/gateway/src/openapi/dto-schemas.ts)`);
            break;
          }
          const keywords = mapping(rule.constraints ?? []);
          if (rule.each) items = merge(items, keywords);
          else own = merge(own, keywords);
          break;
        }
        default:
          this.gaps.push(`${where}: unknown class-validator metadata type '${rule.type}'`);
      }
    }
    if (Object.keys(items).length > 0) own = { ...own, type: own['type'] ?? 'array', items };
    let schema: JsonSchema = nested ? { ...withoutKeys(own, ['type']), ...this.ref(nested) } : own;
    if (nullable) schema = nested || !schema['type'] ? { anyOf: [schema, { type: 'null' }] } : { ...schema, type: [schema['type'], 'null'].flat() };
    return { schema: order(schema), isRequired: defined || !optional };
  }
}

const metadataOf = (type: unknown): ValidationMetadata[] =>
  typeof type === 'function' ? getMetadataStorage().getTargetValidationMetadatas(type, '', true, false) : [];

/** Combines two rules' keywords; `integer` is the narrower of `number` and `integer`. */
const merge = (left: JsonSchema, right: JsonSchema): JsonSchema => {
  const merged = { ...left, ...right };
  if ((left['type'] === 'integer' && right['type'] === 'number') || (left['type'] === 'number' && right['type'] === 'integer')) merged['type'] = 'integer';
  return merged;
};

const withoutKeys = (schema: JsonSchema, keys: string[]): JsonSchema => Object.fromEntries(Object.entries(schema).filter(([key]) => !keys.includes(key)));

/** `type` first, then the rest: only for readability of the served document. */
const order = (schema: JsonSchema): JsonSchema => {
  const { type, ...rest } = schema;
  const arrayKeywords = Object.fromEntries(Object.entries(rest).filter(([key]) => ARRAY_KEYWORDS.has(key)));
  const others = Object.fromEntries(Object.entries(rest).filter(([key]) => !ARRAY_KEYWORDS.has(key)));
  return { ...(type !== undefined ? { type } : {}), ...others, ...arrayKeywords };
};
