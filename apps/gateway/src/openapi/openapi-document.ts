import { DtoSchemas, type DtoClass, type DtoSchemaOptions, type JsonSchema } from './dto-schemas';
import type { DiscoveredRoute, RouteArgument } from './route-discovery';

/** An OpenAPI 3.1 Response Object. */
export interface ResponseDoc {
  description: string;
  headers?: Record<string, JsonSchema>;
  content?: Record<string, { schema: JsonSchema; example?: unknown; examples?: Record<string, { summary: string; value: unknown }> }>;
}

/** What the code cannot say about a route: its prose, its success body and its extra answers. */
export interface RouteDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The success response. It lands on the status the code declares (`@HttpCode`, or Nest's default); `status` only for routes that write their own reply. */
  success: ResponseDoc & { status?: number };
  /** Further responses by status: the name of a shared response (`'NotFound'`) or a full one. */
  responses?: Record<number, string | ResponseDoc>;
  /** Descriptions (and examples) of path and query parameters, by name. */
  parameters?: Record<string, { description: string; example?: unknown }>;
  /** Named examples of the request body. */
  requestExamples?: Record<string, { summary: string; value: unknown }>;
}

/** What a guard adds to every route it protects. */
export interface GuardDoc {
  /** Security requirements (OR-ed), or none for a guard that is not about credentials. */
  security?: Record<string, string[]>[];
  /** Shared responses it can answer, by status. */
  responses: Record<number, string>;
}

export interface ApiDescription {
  info: Record<string, unknown>;
  servers?: Record<string, unknown>[];
  tags: { name: string; description: string }[];
  /** `METHOD /nest/path` → its documentation. */
  routes: Record<string, RouteDoc>;
  guards: Map<DtoClass, GuardDoc>;
  /** Shared responses (components.responses), by name. */
  responses: Record<string, ResponseDoc>;
  /** Hand-written schemas (components.schemas) of what responses carry. */
  schemas: Record<string, JsonSchema>;
  securitySchemes: Record<string, Record<string, unknown>>;
  /** Shared responses every route with a request body can answer (bad JSON, too large, wrong media type). */
  bodyResponses: Record<number, string>;
  /** Shared response for a request whose parameters or query fail validation. */
  invalidRequestResponse: string;
  /** Descriptions of DTO properties, by component name and property. */
  propertyDescriptions?: Record<string, Record<string, string>>;
  /** JSON Schema of custom class-validator rules (`@ValidateBy({ name })`), by name. */
  customRules?: DtoSchemaOptions['customRules'];
  /** Keywords added to DTO components after they are derived (e.g. per-type payload rules), by component name; one set to undefined is removed. */
  extendSchemas?: (dtos: DtoSchemas) => Record<string, JsonSchema>;
}

export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, ResponseDoc>; securitySchemes: Record<string, unknown> };
};

export interface OpenApiBuild {
  document: OpenApiDocument;
  /**
   * Everything the document could not say from the code and the descriptions: routes without
   * documentation, validation rules without a schema, guards without security. Served anyway
   * (an undocumented route still appears), logged at start, and the OpenAPI test fails on any.
   */
  gaps: string[];
}

export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

/** `/api/admin/keys/:keyId` → `/api/admin/keys/{keyId}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const pathParameterNames = (path: string): string[] => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!);

const PRIMITIVES = new Map<unknown, JsonSchema>([
  [String, { type: 'string' }],
  [Number, { type: 'number' }],
  [Boolean, { type: 'boolean' }],
]);

const guardClass = (guard: unknown): DtoClass => (typeof guard === 'function' ? guard : ((guard as object).constructor as DtoClass));

/**
 * The OpenAPI 3.1 document of the routes Nest registered: paths, methods, parameters, request
 * bodies (from the DTOs' class-validator rules), success statuses and guards come from the
 * code; prose and response bodies from the description. Nothing is listed that the code does
 * not register, and whatever the code registers is listed.
 */
export const buildOpenApiDocument = (routes: readonly DiscoveredRoute[], api: ApiDescription): OpenApiBuild => {
  const dtos = new DtoSchemas({ descriptions: api.propertyDescriptions ?? {}, customRules: api.customRules ?? {} });
  const gaps: string[] = [];
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  const responseRef = (name: string): Record<string, unknown> => {
    if (!api.responses[name]) gaps.push(`no shared response named ${name}`);
    return { $ref: `#/components/responses/${name}` };
  };

  for (const route of routes) {
    const key = routeKey(route.method, route.path);
    const doc = api.routes[key];
    if (!doc) gaps.push(`${key} (${route.controller.name}.${route.handler}) has no entry in apps/gateway/src/openapi/gateway-api.ts`);
    if (doc && operationIds.has(doc.operationId)) gaps.push(`${key}: operationId ${doc.operationId} is used twice`);
    if (doc) operationIds.add(doc.operationId);

    const responses: Record<string, unknown> = {};
    const security: Record<string, string[]>[] = [];
    const addResponse = (status: number, response: string | ResponseDoc) => {
      responses[String(status)] = typeof response === 'string' ? responseRef(response) : response;
    };

    const parameters = [
      ...pathParameters(route, doc, gaps),
      ...queryParameters(route.query, dtos, doc, key, gaps),
    ];
    if (parameters.some((parameter) => parameter['in'] === 'query')) addResponse(400, api.invalidRequestResponse);

    let requestBody: Record<string, unknown> | undefined;
    if (route.body) {
      if (DtoSchemas.isDto(route.body.type)) {
        requestBody = {
          required: true,
          content: { 'application/json': { schema: dtos.ref(route.body.type), ...(doc?.requestExamples ? { examples: doc.requestExamples } : {}) } },
        };
      } else {
        gaps.push(`${key}: its @Body() has no DTO class with class-validator rules, so its shape cannot be documented`);
        requestBody = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
      }
      for (const [status, name] of Object.entries(api.bodyResponses)) addResponse(Number(status), name);
    }

    for (const guard of route.guards.map(guardClass)) {
      const guardDoc = api.guards.get(guard);
      if (!guardDoc) {
        gaps.push(`${key}: guard ${guard.name} has no documentation (security, responses) in apps/gateway/src/openapi/gateway-api.ts`);
        continue;
      }
      security.push(...(guardDoc.security ?? []));
      for (const [status, name] of Object.entries(guardDoc.responses)) addResponse(Number(status), name);
    }

    const successStatus = doc?.success.status ?? route.successStatus;
    if (doc?.success.status !== undefined && !route.writesReply && doc.success.status !== route.successStatus) {
      gaps.push(`${key}: documented success status ${doc.success.status} but the code answers ${route.successStatus}`);
    }
    if (doc) {
      const { status: _status, ...success } = doc.success;
      addResponse(successStatus, success);
      for (const [status, response] of Object.entries(doc.responses ?? {})) addResponse(Number(status), response);
    } else {
      addResponse(successStatus, { description: 'Undocumented' });
    }

    const roleNames = route.roles.map((role) => `\`${role}\``);
    const roleNote =
      roleNames.length === 0
        ? undefined
        : roleNames.length === 1
          ? `Needs an API key with the role ${roleNames[0]}.`
          : `Needs an API key with one of the roles ${roleNames.slice(0, -1).join(', ')} or ${roleNames.at(-1)}.`;
    const operation: Record<string, unknown> = {
      operationId: doc?.operationId ?? `${route.controller.name}.${route.handler}`,
      summary: doc?.summary ?? 'Undocumented',
      ...(doc?.description || roleNote ? { description: [doc?.description, roleNote].filter(Boolean).join('\n\n') } : {}),
      tags: doc?.tags ?? [],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
      security,
      ...(route.roles.length > 0 ? { 'x-required-roles': route.roles } : {}),
    };
    const path = openApiPath(route.path);
    const item = (paths[path] ??= {});
    item[route.method.toLowerCase()] = operation;
  }

  for (const key of Object.keys(api.routes)) {
    if (!routes.some((route) => routeKey(route.method, route.path) === key)) gaps.push(`${key} is documented but no such route is registered`);
  }
  for (const [name, extension] of Object.entries(api.extendSchemas?.(dtos) ?? {})) {
    if (!dtos.components[name]) gaps.push(`extendSchemas names ${name}, which is not a DTO component`);
    // A keyword set to undefined removes the derived one (say a `required` the extension replaces with an `anyOf`).
    else dtos.components[name] = Object.fromEntries(Object.entries({ ...dtos.components[name], ...extension }).filter(([, value]) => value !== undefined));
  }
  gaps.push(...dtos.gaps);
  for (const name of Object.keys(api.schemas)) if (dtos.components[name]) gaps.push(`schema ${name} is both a DTO and a hand-written schema`);

  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: api.info,
    ...(api.servers ? { servers: api.servers } : {}),
    tags: api.tags,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: { ...dtos.components, ...api.schemas },
      responses: api.responses,
      securitySchemes: api.securitySchemes,
    },
  };
  return { document, gaps };
};

const pathParameters = (route: DiscoveredRoute, doc: RouteDoc | undefined, gaps: string[]): Record<string, unknown>[] =>
  pathParameterNames(route.path).map((name) => {
    const declared = route.params.find((parameter) => parameter.name === name);
    const described = doc?.parameters?.[name];
    if (doc && !described) gaps.push(`${routeKey(route.method, route.path)}: path parameter ${name} has no description`);
    return {
      name,
      in: 'path',
      required: true,
      ...(described ? { description: described.description } : {}),
      schema: declared?.integer ? { type: 'integer' } : ((declared && PRIMITIVES.get(declared.type)) ?? { type: 'string' }),
      ...(described?.example !== undefined ? { example: described.example } : {}),
    };
  });

const queryParameters = (query: RouteArgument[], dtos: DtoSchemas, doc: RouteDoc | undefined, key: string, gaps: string[]): Record<string, unknown>[] =>
  query.flatMap((argument) => {
    const entries =
      argument.name !== undefined
        ? [{ name: argument.name, required: false, schema: PRIMITIVES.get(argument.type) ?? { type: 'string' } }]
        : DtoSchemas.isDto(argument.type)
          ? dtos.properties(argument.type)
          : (gaps.push(`${key}: its @Query() has no DTO class with class-validator rules`), []);
    return entries.map(({ name, required, schema }) => {
      const described = doc?.parameters?.[name];
      if (doc && !described && !schema['description']) gaps.push(`${key}: query parameter ${name} has no description`);
      const { description: schemaDescription, ...rest } = schema;
      const description = described?.description ?? schemaDescription;
      return {
        name,
        in: 'query',
        required,
        ...(description ? { description } : {}),
        // An array in a query string is comma-separated (`?lifecycle=A,B`), the form Halm's query DTOs split.
        ...(rest['type'] === 'array' ? { style: 'form', explode: false } : {}),
        schema: rest,
        ...(described?.example !== undefined ? { example: described.example } : {}),
      };
    });
  });
