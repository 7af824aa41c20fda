import type { JsonSchema } from './dto-schemas';

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/**
 * The JSON Schema of an object type T, checked against T by the compiler: `properties` must
 * name every property of T and no other, and `optional` exactly T's optional ones. A field
 * added to a response type without documenting it fails the build, not just a test.
 */
export const objectSchema = <T>(spec: {
  description?: string;
  properties: { [K in keyof T]-?: JsonSchema };
  optional: { [K in OptionalKeys<T>]-?: true };
  /** Whether the body may carry members beyond those listed (default: no). */
  additionalProperties?: boolean;
  examples?: T[];
}): JsonSchema => {
  const properties = spec.properties as Record<string, JsonSchema>;
  const optional = new Set(Object.keys(spec.optional));
  const required = Object.keys(properties).filter((name) => !optional.has(name));
  return {
    type: 'object',
    ...(spec.description ? { description: spec.description } : {}),
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: spec.additionalProperties ?? false,
    ...(spec.examples ? { examples: spec.examples } : {}),
  };
};

/** A string schema limited to the members of a union of literals, checked to be all of them. */
export const enumSchema = <T extends string>(values: { [K in T]: true }, description?: string): JsonSchema => ({
  type: 'string',
  enum: Object.keys(values),
  ...(description ? { description } : {}),
});

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
