import { Script } from 'node:vm';
import { CONSOLE_SCRIPT } from './console-script';
import { CONSOLE_STYLES } from './console-styles';
import { CONSOLE_SECTIONS, renderConsolePage } from './render-console-page';

describe('the console page', () => {
  const html = renderConsolePage();

  it('has a login form and one tab and panel per section, the panels hidden until sign-in', () => {
    expect(html).toContain('<input type="password" id="login-key"');
    for (const section of CONSOLE_SECTIONS) {
      expect(html).toContain(`id="tab-${section.id}" data-section="${section.id}" data-testid="tab-${section.id}" aria-controls="section-${section.id}"`);
      expect(html).toMatch(new RegExp(`<section class="section" id="section-${section.id}" role="tabpanel" aria-labelledby="tab-${section.id}"[^>]* data-roles="${section.roles.join(',')}" hidden>`));
    }
    expect(html).toMatch(/<div id="console-view"[^>]* hidden>/);
  });

  it('labels every form control', () => {
    for (const [, id] of html.matchAll(/<(?:input|textarea|select)[^>]*\sid="([^"]+)"/g)) {
      expect({ id, labelled: html.includes(`<label for="${id}"`) }).toEqual({ id, labelled: true });
    }
  });

  it('loads nothing but its own script and styles, and runs no inline script', () => {
    expect([...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual(['data:,', '/console/assets/console.css', '/console/assets/console.js']);
    expect(html).not.toMatch(/<script(?![^>]*src="\/console\/assets\/console\.js")[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
  });

  it('serves a script that parses, keeps the key in sessionStorage only and uses no innerHTML', () => {
    expect(() => new Script(CONSOLE_SCRIPT)).not.toThrow();
    expect(CONSOLE_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|localStorage|document\.cookie/);
    expect(CONSOLE_SCRIPT).toContain("sessionStorage.setItem(KEY_STORAGE, key)");
    expect(CONSOLE_STYLES).not.toMatch(/url\(|@import/);
  });

  it('asks the API for exactly the routes of the shared contracts', () => {
    const paths = new Set([...CONSOLE_SCRIPT.matchAll(/'(\/api\/[^'?]+)/g)].map((match) => match[1]));
    expect([...paths].sort()).toEqual([
      '/api/admin/lockdown',
      '/api/admin/lockdown/release',
      '/api/audit/checkpoints',
      '/api/audit/events',
      '/api/audit/events/',
      '/api/audit/incidents',
      '/api/audit/keys',
      '/api/audit/replay',
      '/api/audit/what-if',
      '/api/console/session',
      '/api/kernel/proposals',
      '/api/kernel/proposals/',
    ]);
  });
});
