import { ROLES } from '@halm/contracts';
import type { RouteDoc } from '../openapi/openapi-document';

const html = { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } };
const script = { description: 'JavaScript.', content: { 'text/javascript': { schema: { type: 'string' } } } };
const styles = { description: 'CSS.', content: { 'text/css': { schema: { type: 'string' } } } };

/** The OpenAPI entries of the transparency page, the console and the console's session route. */
export const PAGE_ROUTES: Record<string, RouteDoc> = {
  'GET /transparency': {
    operationId: 'getTransparencyPage',
    summary: 'The public transparency page',
    description:
      'The six kernel invariants with their live state (`GET /api/public/invariants`), the integrity status polled every few seconds (`GET /api/public/integrity`), the lockdown state and the last check time. No key, no tenant data. Self-contained like `/docs`.',
    tags: ['Pages'],
    success: html,
  },
  'GET /transparency/assets/transparency.js': { operationId: 'getTransparencyScript', summary: 'The transparency page\'s script', tags: ['Pages'], success: script },
  'GET /transparency/assets/transparency.css': { operationId: 'getTransparencyStyles', summary: 'The transparency page\'s styles', tags: ['Pages'], success: styles },
  'GET /console': {
    operationId: 'getConsolePage',
    summary: 'The operations console',
    description:
      'Sign in with an API key (kept in the tab\'s session storage, sent only as `Authorization: Bearer`), then: pending approvals with approve, reject and veto and a countdown to each veto deadline; lockdown engage and release with a reason; incidents with their evidence; the ledger explorer, which verifies inclusion proofs in the browser; replay and what-if. Each section is offered to the roles the API allows it to.',
    tags: ['Pages'],
    success: html,
  },
  'GET /console/assets/console.js': { operationId: 'getConsoleScript', summary: 'The console\'s script', tags: ['Pages'], success: script },
  'GET /console/assets/console.css': { operationId: 'getConsoleStyles', summary: 'The console\'s styles', tags: ['Pages'], success: styles },
  'GET /api/console/session': {
    operationId: 'getConsoleSession',
    summary: 'The key\'s tenant, id and roles',
    description: 'Any valid API key, whatever its roles, learns who it is: the console signs in with it and offers only what the roles allow. Never answers the secret.',
    tags: ['Pages'],
    success: {
      description: 'Who the key is.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['tenantId', 'keyId', 'roles'],
            properties: {
              tenantId: { type: 'string' },
              keyId: { type: 'string' },
              roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } },
            },
          },
          example: { tenantId: 'ten_3f2a9c1b7d4e5f60', keyId: 'key_3f2a9c1b7d4e', roles: ['approver'] },
        },
      },
    },
  },
};
