import type { JsonSchema } from '../openapi/dto-schemas';
import type { OpenApiDocument } from '../openapi/openapi-document';

/** Stable hooks for the browser tests (issue 6) and for the page's own script. */
export const PLAYGROUND_IDS = {
  form: 'playground-form',
  request: 'playground-request',
  submit: 'playground-submit',
  reset: 'playground-reset',
  example: 'playground-example',
  result: 'playground-result',
  announce: 'playground-announce',
  targetSandbox: 'playground-target-sandbox',
  targetKey: 'playground-target-key',
  keyField: 'playground-key-field',
  key: 'playground-key',
  examples: 'playground-examples',
} as const;

export interface PageOptions {
  sandboxEnabled: boolean;
  /** e.g. "10 requests per 10 s per address, bursts of 10". */
  sandboxLimits: string;
  /** The request the textarea starts with (the quickstart's). */
  initialRequest: unknown;
  /** More requests to pick from. */
  examples: { id: string; label: string; value: unknown }[];
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!);

/** The little Markdown the descriptions use: paragraphs and `code`. */
const prose = (text: string | undefined): string =>
  (text ?? '')
    .split(/\n{2,}/)
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => `<p>${inline(paragraph)}</p>`)
    .join('');

const inline = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

/** A path that may wrap after each slash, never inside a word. */
const breakable = (path: string): string => escapeHtml(path).replace(/\//g, '/<wbr>');

/** JSON inside a <script type="application/json">: `<` escaped so no string can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

type Operation = {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema; examples?: Record<string, { summary: string; value: unknown }> }> };
  responses: Record<string, JsonSchema>;
  security: Record<string, string[]>[];
  'x-required-roles'?: string[];
};

const refName = (schema: JsonSchema): string | undefined =>
  typeof schema['$ref'] === 'string' ? (schema['$ref'] as string).split('/').pop() : undefined;

const schemaLink = (name: string): string => `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;

/** A short, readable type: `string`, `array of ProposalView`, `string or null`, … */
const typeLabel = (schema: JsonSchema): string => {
  const name = refName(schema);
  if (name) return schemaLink(name);
  if (schema['const'] !== undefined) return `<code>${escapeHtml(JSON.stringify(schema['const']))}</code>`;
  if (Array.isArray(schema['anyOf'])) return (schema['anyOf'] as JsonSchema[]).map(typeLabel).join(' or ');
  if (Array.isArray(schema['allOf'])) return (schema['allOf'] as JsonSchema[]).map(typeLabel).join(' + ');
  const type = schema['type'];
  if (Array.isArray(type)) return type.map((member) => typeLabel({ ...schema, type: member })).join(' or ');
  if (type === 'array') return `array of ${schema['items'] ? typeLabel(schema['items'] as JsonSchema) : 'any'}`;
  if (type === 'object' && schema['additionalProperties'] && typeof schema['additionalProperties'] === 'object') {
    return `map of ${typeLabel(schema['additionalProperties'] as JsonSchema)}`;
  }
  return escapeHtml(typeof type === 'string' ? type : 'any');
};

const constraintsOf = (schema: JsonSchema): string[] => {
  const notes: string[] = [];
  const items = schema['items'] as JsonSchema | undefined;
  const values = (schema['enum'] ?? items?.['enum']) as unknown[] | undefined;
  if (values) notes.push(`one of ${values.map((value) => `<code>${escapeHtml(String(value))}</code>`).join(', ')}`);
  const min = schema['minimum'];
  const max = schema['maximum'];
  if (min !== undefined && max !== undefined) notes.push(`${escapeHtml(String(min))} – ${escapeHtml(String(max))}`);
  else if (min !== undefined) notes.push(`at least ${escapeHtml(String(min))}`);
  else if (max !== undefined) notes.push(`at most ${escapeHtml(String(max))}`);
  if (schema['minLength'] !== undefined) notes.push(`at least ${escapeHtml(String(schema['minLength']))} characters`);
  if (schema['maxLength'] !== undefined) notes.push(`at most ${escapeHtml(String(schema['maxLength']))} characters`);
  if (schema['minItems'] !== undefined) notes.push(`at least ${escapeHtml(String(schema['minItems']))} item(s)`);
  if (schema['uniqueItems']) notes.push('no repeats');
  if (typeof schema['format'] === 'string') notes.push(escapeHtml(schema['format'] as string));
  if (typeof schema['pattern'] === 'string') notes.push(`matches <code>${escapeHtml(schema['pattern'] as string)}</code>`);
  return notes;
};

interface Row {
  name: string;
  schema: JsonSchema;
  required: boolean;
}

/** The fields of an object schema as table rows, nested objects (by reference too) flattened to dotted names. */
const fieldRows = (schema: JsonSchema, schemas: Record<string, JsonSchema>, prefix = '', seen: string[] = []): Row[] => {
  const name = refName(schema);
  if (name) {
    if (seen.includes(name)) return [];
    return fieldRows(schemas[name] ?? {}, schemas, prefix, [...seen, name]);
  }
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema['required'] ?? []) as string[]);
  const inherited = Array.isArray(schema['allOf']) ? (schema['allOf'] as JsonSchema[]).flatMap((part) => fieldRows(part, schemas, prefix, seen)) : [];
  return [
    ...inherited,
    ...Object.entries(properties).flatMap(([property, propertySchema]) => {
      const row = { name: `${prefix}${property}`, schema: propertySchema, required: required.has(property) };
      const nested = refName(propertySchema);
      const target = nested ? schemas[nested] : propertySchema;
      const expand = target && target['properties'] && seen.length < 2 && !(nested && seen.includes(nested));
      return expand ? [row, ...fieldRows(propertySchema, schemas, `${prefix}${property}.`, seen)] : [row];
    }),
  ];
};

const fieldTable = (schema: JsonSchema, schemas: Record<string, JsonSchema>, caption: string): string => {
  const rows = fieldRows(schema, schemas);
  if (rows.length === 0) return `<p class="muted">${typeLabel(schema)}</p>`;
  const body = rows
    .map((row) => {
      const target = refName(row.schema) ? {} : row.schema;
      const description = [inline(String(row.schema['description'] ?? '')), ...constraintsOf(target)].filter(Boolean).join('<br>');
      return `<tr><th scope="row"><code>${escapeHtml(row.name)}</code></th><td>${typeLabel(row.schema)}</td><td>${row.required ? 'required' : 'optional'}</td><td>${description}</td></tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table><caption class="visually-hidden">${escapeHtml(caption)}</caption><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col"></th><th scope="col">Description</th></tr></thead><tbody>${body}</tbody></table></div>`;
};

/** `allOf: [{ if: { properties: { type: { const: 'x' } } }, then: { properties: { payload: <schema> } } }]` as rows "type x → payload schema". */
const conditionalTable = (schema: JsonSchema, schemas: Record<string, JsonSchema>): string => {
  const name = refName(schema);
  const resolved = name ? (schemas[name] ?? {}) : schema;
  const rows = ((resolved['allOf'] ?? []) as JsonSchema[]).flatMap((part) => {
    const condition = Object.entries(((part['if'] as JsonSchema | undefined)?.['properties'] ?? {}) as Record<string, JsonSchema>)[0];
    const consequence = Object.entries(((part['then'] as JsonSchema | undefined)?.['properties'] ?? {}) as Record<string, JsonSchema>)[0];
    if (!condition || !consequence || condition[1]['const'] === undefined) return [];
    return [{ field: condition[0], value: String(condition[1]['const']), target: consequence[0], schema: consequence[1] }];
  });
  if (rows.length === 0) return '';
  const [first] = rows;
  return `<h4><code>${escapeHtml(first!.target)}</code> by <code>${escapeHtml(first!.field)}</code></h4><div class="table-wrap"><table><thead><tr><th scope="col"><code>${escapeHtml(first!.field)}</code></th><th scope="col"><code>${escapeHtml(first!.target)}</code> must be</th></tr></thead><tbody>${rows
    .map((row) => `<tr><th scope="row"><code>${escapeHtml(row.value)}</code></th><td>${typeLabel(row.schema)}</td></tr>`)
    .join('')}</tbody></table></div>`;
};

const responseSchemaOf = (response: JsonSchema, document: OpenApiDocument): { description: string; mediaType?: string; schema?: JsonSchema; example?: unknown; headers?: Record<string, JsonSchema> } => {
  const name = refName(response);
  const resolved = (name ? document.components.responses[name] : response) as { description: string; content?: Record<string, { schema: JsonSchema; example?: unknown }>; headers?: Record<string, JsonSchema> };
  const [mediaType, media] = Object.entries(resolved.content ?? {})[0] ?? [];
  return { description: resolved.description, ...(mediaType ? { mediaType, schema: media!.schema, example: media!.example } : {}), ...(resolved.headers ? { headers: resolved.headers } : {}) };
};

const operationSection = (path: string, method: string, operation: Operation, document: OpenApiDocument): string => {
  const schemas = document.components.schemas;
  const id = `op-${operation.operationId}`;
  const security = operation.security.length === 0 ? 'None: public.' : operation.security.map((requirement) => Object.keys(requirement).map((scheme) => (scheme === 'apiKey' ? 'API key (Bearer)' : scheme === 'operatorKey' ? 'Operator key (Bearer)' : scheme)).join(' and ')).join(' or ');
  const parameters = operation.parameters ?? [];
  const parameterTable =
    parameters.length === 0
      ? ''
      : `<h4>Parameters</h4><div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col"></th><th scope="col">Description</th></tr></thead><tbody>${parameters
          .map(
            (parameter) =>
              `<tr><th scope="row"><code>${escapeHtml(parameter.name)}</code></th><td>${escapeHtml(parameter.in)}</td><td>${typeLabel(parameter.schema)}</td><td>${parameter.required ? 'required' : 'optional'}</td><td>${[inline(parameter.description ?? ''), ...constraintsOf(parameter.schema)].filter(Boolean).join('<br>')}</td></tr>`,
          )
          .join('')}</tbody></table></div>`;
  const bodyMedia = operation.requestBody ? Object.entries(operation.requestBody.content)[0] : undefined;
  const bodyExample = bodyMedia?.[1].examples ? Object.values(bodyMedia[1].examples)[0] : undefined;
  const requestBody = bodyMedia
    ? `<h4>Request body <span class="muted">${escapeHtml(bodyMedia[0])}</span></h4>${fieldTable(bodyMedia[1].schema, schemas, `Request body of ${method.toUpperCase()} ${path}`)}${conditionalTable(bodyMedia[1].schema, schemas)}${
        bodyExample ? `<details><summary>Example: ${escapeHtml(bodyExample.summary)}</summary><pre><code>${escapeHtml(pretty(bodyExample.value))}</code></pre></details>` : ''
      }`
    : '';
  const responses = Object.entries(operation.responses)
    .map(([status, response]) => {
      const resolved = responseSchemaOf(response, document);
      const body = resolved.schema ? `${typeLabel(resolved.schema)} <span class="muted">${escapeHtml(resolved.mediaType ?? '')}</span>` : '<span class="muted">no body</span>';
      const headers = resolved.headers ? `<br>Headers: ${Object.keys(resolved.headers).map((name) => `<code>${escapeHtml(name)}</code>`).join(', ')}` : '';
      return `<tr><th scope="row"><span class="status status-${escapeHtml(status[0] ?? '')}xx">${escapeHtml(status)}</span></th><td>${inline(resolved.description)}${headers}</td><td>${body}</td></tr>`;
    })
    .join('');
  const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'));
  const successExample = success ? responseSchemaOf(success[1], document).example : undefined;
  return `<article class="operation" id="${escapeHtml(id)}" aria-labelledby="${escapeHtml(id)}-title">
<h3 id="${escapeHtml(id)}-title"><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code class="path">${escapeHtml(path)}</code></h3>
<p class="summary">${inline(operation.summary)}</p>
${prose(operation.description)}
<p class="auth"><strong>Authentication:</strong> ${escapeHtml(security)}</p>
${parameterTable}${requestBody}
<h4>Responses</h4><div class="table-wrap"><table><thead><tr><th scope="col">Status</th><th scope="col">When</th><th scope="col">Body</th></tr></thead><tbody>${responses}</tbody></table></div>
${successExample !== undefined ? `<details><summary>Example response</summary><pre><code>${escapeHtml(pretty(successExample))}</code></pre></details>` : ''}
</article>`;
};

const playgroundSection = (options: PageOptions): string => {
  const sandbox = options.sandboxEnabled;
  return `<section id="playground" class="playground" aria-labelledby="playground-title">
<h2 id="playground-title">Playground</h2>
<p class="lead">Try it live — no signup required. Paste a request for <code>POST /api/kernel/authorize</code>, send it, and see Halm's enforcement decision in real time.</p>
${
  sandbox
    ? `<p class="note">Without a key, requests go to the public <strong>sandbox</strong> tenant under the default policy (<code>POST /api/sandbox/authorize</code>; ${escapeHtml(options.sandboxLimits)}). Every decision is recorded in the sandbox's ledger, which anyone can use: send no secrets.</p>`
    : `<p class="note">The sandbox is turned off on this deployment: send requests to your own tenant with an API key that has the <code>agent</code> role.</p>`
}
<form id="${PLAYGROUND_IDS.form}" data-testid="${PLAYGROUND_IDS.form}" novalidate>
<fieldset class="target">
<legend>Send to</legend>
<div class="choice"><input type="radio" name="target" value="sandbox" id="${PLAYGROUND_IDS.targetSandbox}" data-testid="${PLAYGROUND_IDS.targetSandbox}"${sandbox ? ' checked' : ' disabled'}><label for="${PLAYGROUND_IDS.targetSandbox}">The sandbox tenant, no key${sandbox ? '' : ' (turned off)'}</label></div>
<div class="choice"><input type="radio" name="target" value="key" id="${PLAYGROUND_IDS.targetKey}" data-testid="${PLAYGROUND_IDS.targetKey}"${sandbox ? '' : ' checked'}><label for="${PLAYGROUND_IDS.targetKey}">My tenant, with my API key</label></div>
<div class="field key-field" id="${PLAYGROUND_IDS.keyField}"${sandbox ? ' hidden' : ''}>
<label for="${PLAYGROUND_IDS.key}">API key</label>
<input type="password" id="${PLAYGROUND_IDS.key}" data-testid="${PLAYGROUND_IDS.key}" name="key" autocomplete="off" spellcheck="false" autocapitalize="off" placeholder="halm_…" aria-describedby="playground-key-hint">
<p class="hint" id="playground-key-hint">A key with the <code>agent</code> role. It is sent only to this gateway, as <code>Authorization: Bearer</code>, and never stored.</p>
</div>
</fieldset>
<div class="field">
<div class="label-row">
<label for="${PLAYGROUND_IDS.request}">Request body (JSON)</label>
<span class="example-picker"><label for="${PLAYGROUND_IDS.example}">Example</label>
<select id="${PLAYGROUND_IDS.example}" data-testid="${PLAYGROUND_IDS.example}">${options.examples.map((example) => `<option value="${escapeHtml(example.id)}">${escapeHtml(example.label)}</option>`).join('')}</select></span>
</div>
<textarea id="${PLAYGROUND_IDS.request}" data-testid="${PLAYGROUND_IDS.request}" name="request" rows="12" spellcheck="false" autocapitalize="off" autocomplete="off" aria-describedby="playground-request-hint">${escapeHtml(pretty(options.initialRequest))}</textarea>
<p class="hint" id="playground-request-hint">Fields: <code>type</code>, <code>payload</code>, optional <code>justification</code> and <code>context</code> (<code>confidenceScore</code>, <code>sessionId</code>, <code>agentId</code>). Ctrl+Enter sends.</p>
</div>
<div class="actions">
<button type="submit" id="${PLAYGROUND_IDS.submit}" data-testid="${PLAYGROUND_IDS.submit}">Send request</button>
<button type="button" class="secondary" id="${PLAYGROUND_IDS.reset}" data-testid="${PLAYGROUND_IDS.reset}">Reset to example</button>
</div>
</form>
<p id="${PLAYGROUND_IDS.announce}" class="visually-hidden" aria-live="polite"></p>
<div id="${PLAYGROUND_IDS.result}" data-testid="${PLAYGROUND_IDS.result}" class="result" tabindex="-1" aria-labelledby="playground-result-title">
<h3 id="playground-result-title" class="result-title">Decision</h3>
<p class="placeholder">Send a request to see the decision here.</p>
</div>
<noscript><p class="note">The playground needs JavaScript. Without it, send the request with curl: <code>curl -X POST /api/sandbox/authorize -H 'content-type: application/json' -d '…'</code>.</p></noscript>
<script type="application/json" id="${PLAYGROUND_IDS.examples}">${scriptJson(options.examples)}</script>
</section>`;
};

/**
 * The API docs page: the reference rendered on the server from the OpenAPI document (so it
 * reads without JavaScript and cannot differ from /api/openapi.json), and the playground.
 * Every value is HTML-escaped; the page loads nothing but its own script and styles.
 */
export const renderDocsPage = (document: OpenApiDocument, options: PageOptions): string => {
  const info = document['info'] as { title: string; version: string; summary?: string; description?: string };
  const tags = document['tags'] as { name: string; description: string }[];
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation: operation as unknown as Operation })),
  );
  const byTag = tags
    .map((tag) => ({ tag, operations: operations.filter((entry) => entry.operation.tags.includes(tag.name)) }))
    .filter((group) => group.operations.length > 0);
  const untagged = operations.filter((entry) => !entry.operation.tags.some((name) => tags.some((tag) => tag.name === name)));
  if (untagged.length > 0) byTag.push({ tag: { name: 'Other', description: '' }, operations: untagged });

  const toc = byTag
    .map(
      (group) =>
        `<li><span class="toc-group">${escapeHtml(group.tag.name)}</span><ul>${group.operations
          .map((entry) => `<li><a href="#op-${escapeHtml(entry.operation.operationId)}"><span class="method method-${escapeHtml(entry.method)}">${escapeHtml(entry.method.toUpperCase())}</span> <span class="toc-path">${breakable(entry.path)}</span></a></li>`)
          .join('')}</ul></li>`,
    )
    .join('');
  const reference = byTag
    .map(
      (group) =>
        `<section class="tag" id="tag-${escapeHtml(group.tag.name)}" aria-labelledby="tag-${escapeHtml(group.tag.name)}-title"><h2 id="tag-${escapeHtml(group.tag.name)}-title">${escapeHtml(group.tag.name)}</h2>${prose(group.tag.description)}${group.operations
          .map((entry) => operationSection(entry.path, entry.method, entry.operation, document))
          .join('')}</section>`,
    )
    .join('');
  const schemas = Object.entries(document.components.schemas)
    .map(
      ([name, schema]) =>
        `<article class="schema" id="schema-${escapeHtml(name)}" aria-labelledby="schema-${escapeHtml(name)}-title"><h3 id="schema-${escapeHtml(name)}-title">${escapeHtml(name)}</h3>${prose(schema['description'] as string | undefined)}${fieldTable(schema, document.components.schemas, `Fields of ${name}`)}</article>`,
    )
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} — reference and playground</title>
<meta name="description" content="${escapeHtml(info.summary ?? info.title)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/docs.css">
<script src="/docs/assets/docs.js" defer></script>
</head>
<body>
<a class="skip-link" href="#playground">Skip to the playground</a>
<header class="site-header">
<div class="brand"><span class="logo" aria-hidden="true">◆</span> ${escapeHtml(info.title)}</div>
<div class="header-side">
<p class="meta">Version ${escapeHtml(info.version)} · OpenAPI ${escapeHtml(document.openapi)} · <a href="/api/openapi.json">openapi.json</a></p>
<nav class="site-nav" aria-label="Pages"><ul><li><a href="/docs" aria-current="page">API docs</a></li><li><a href="/transparency">Transparency</a></li><li><a href="/console">Console</a></li></ul></nav>
</div>
</header>
<div class="layout">
<nav class="toc" aria-label="Contents">
<details class="toc-details" id="toc-details" open>
<summary>Contents</summary>
<p class="toc-title"><a href="#playground">Playground</a></p>
<ul>${toc}</ul>
<p class="toc-title"><a href="#schemas">Schemas</a></p>
</details>
</nav>
<main id="main">
<div class="intro">
<h1>${escapeHtml(info.title)}</h1>
${prose(info.description)}
</div>
${playgroundSection(options)}
<div id="reference" class="reference">${reference}</div>
<section id="schemas" class="schemas" aria-labelledby="schemas-title"><h2 id="schemas-title">Schemas</h2>${schemas}</section>
</main>
</div>
</body>
</html>
`;
};
