import { Script } from 'node:vm';
import { HealthController, MetricsController, readSettings } from '@halm/platform';
import { AdminController } from '../admin.controller';
import { API_DOCS_CONTROLLERS } from '../api-docs';
import { AuthorizeController } from '../authorize.controller';
import { newSigningKey } from '@halm/testing';
import { GatewaySettings } from '../gateway.settings';
import { describeGatewayApi, SEED_REQUEST } from '../openapi/gateway-api';
import { buildOpenApiDocument } from '../openapi/openapi-document';
import { discoverRoutes } from '../openapi/route-discovery';
import { DOCS_SCRIPT } from './docs-script';
import { DOCS_STYLES } from './docs-styles';
import { PLAYGROUND_IDS, renderDocsPage } from './render-page';

const settings = readSettings(GatewaySettings, { EXECUTION_TOKEN_SIGNING_KEY: newSigningKey() });
const { document } = buildOpenApiDocument(
  discoverRoutes([AuthorizeController, AdminController, HealthController, MetricsController, ...API_DOCS_CONTROLLERS]),
  describeGatewayApi(settings, '9.9.9'),
);
const options = { sandboxEnabled: true, sandboxLimits: '10 requests per 10 s per address, bursts of 10', initialRequest: SEED_REQUEST, examples: [{ id: 'quickstart', label: 'Quickstart', value: SEED_REQUEST }] };

describe('the docs page', () => {
  const html = renderDocsPage(document, options);

  it('has the playground with stable ids and test ids, prefilled with the quickstart request', () => {
    for (const id of [PLAYGROUND_IDS.request, PLAYGROUND_IDS.submit, PLAYGROUND_IDS.result, PLAYGROUND_IDS.targetSandbox, PLAYGROUND_IDS.targetKey, PLAYGROUND_IDS.key]) {
      expect(html).toContain(`id="${id}" data-testid="${id}"`);
    }
    const textarea = /<textarea[^>]*id="playground-request"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1];
    expect(JSON.parse(textarea!.replace(/&quot;/g, '"'))).toEqual({ type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } });
  });

  it('labels every form control', () => {
    for (const [, id] of html.matchAll(/<(?:input|textarea|select)[^>]*\sid="([^"]+)"/g)) {
      expect({ id, labelled: html.includes(`<label for="${id}"`) }).toEqual({ id, labelled: true });
    }
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toContain('class="skip-link" href="#playground"');
  });

  it('renders the reference from the document: every operation with its anchor, the request fields, the errors', () => {
    expect(html).toContain('id="op-authorize"');
    expect(html).toContain('id="op-authorizeInSandbox"');
    expect(html).toContain('<code>context.confidenceScore</code>');
    expect(html).toContain('application/problem+json');
    expect(html).toContain('href="#schema-AuthorizeResponse"');
    expect(html).toContain('id="schema-AuthorizeResponse"');
    // The payload rules of each action type, linked to their schemas.
    expect(html).toContain('<th scope="row"><code>ledger:write</code></th><td><a href="#schema-LedgerWritePayload">LedgerWritePayload</a></td>');
    expect(html).toContain('id="schema-LedgerWritePayload"');
  });

  it('loads nothing from elsewhere: only its own script and styles', () => {
    expect([...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual(['data:,', '/docs/assets/docs.css', '/docs/assets/docs.js']);
    expect(html).not.toMatch(/<script(?![^>]*(?:src="\/docs\/assets\/docs\.js"|type="application\/json"))[^>]*>/);
  });

  it('escapes what it shows', () => {
    const hostile = renderDocsPage(
      { ...document, info: { title: '<img src=x onerror=alert(1)>', version: '1' } },
      { ...options, examples: [{ id: 'x', label: '</script><script>alert(1)</script>', value: { text: '</script>' } }] },
    );

    expect(hostile).not.toContain('<img src=x');
    expect(hostile).not.toContain('</script><script>alert(1)');
    expect(hostile).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('turns the sandbox choice off when the sandbox is disabled', () => {
    const disabled = renderDocsPage(document, { ...options, sandboxEnabled: false });

    expect(disabled).toMatch(/id="playground-target-sandbox"[^>]*disabled/);
    expect(disabled).toMatch(/id="playground-target-key"[^>]*checked/);
    expect(disabled).toContain('The sandbox is turned off on this deployment');
  });

  it('serves a script that parses and uses no innerHTML', () => {
    expect(() => new Script(DOCS_SCRIPT)).not.toThrow();
    expect(DOCS_SCRIPT).not.toContain('innerHTML');
    expect(DOCS_STYLES).not.toMatch(/url\(|@import/);
  });
});
