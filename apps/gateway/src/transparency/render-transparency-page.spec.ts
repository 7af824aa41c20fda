import { Script } from 'node:vm';
import { INVARIANTS } from '@halm/domain';
import { INTEGRITY_FIELDS } from './integrity-fields';
import { renderTransparencyPage } from './render-transparency-page';
import { TRANSPARENCY_SCRIPT } from './transparency-script';
import { TRANSPARENCY_STYLES } from './transparency-styles';

describe('the transparency page', () => {
  const html = renderTransparencyPage();

  it('lists the six invariants of the seed, in its order, with its words', () => {
    const names = [...html.matchAll(/<h3 class="invariant-name">([^<]+)<\/h3>/g)].map((match) => match[1]);
    const descriptions = [...html.matchAll(/<p class="invariant-description">([^<]+)<\/p>/g)].map((match) => match[1]);

    expect(names).toEqual([
      'NO_SIDE_EFFECT_WITHOUT_ALLOW',
      'EXECUTION_TOKEN_REQUIRED',
      'DECISION_HASH_VALID',
      'HASH_CHAIN_CONTINUOUS',
      'LOCKDOWN_OVERRIDES_ALL',
      'TENANT_ISOLATION_ENFORCED',
    ]);
    expect(descriptions).toEqual(INVARIANTS.map((invariant) => invariant.description));
    expect(descriptions[0]).toBe('No side effect without ALLOW decision. Every execution must have a corresponding ALLOW decision.');
  });

  it('has a place for each of the five public integrity fields, each "unknown" until the script reads them', () => {
    expect(INTEGRITY_FIELDS.map((entry) => entry.field)).toEqual(['enforcementActive', 'invariantsPassing', 'hashChainValid', 'lockdownActive', 'lastIntegrityCheck']);
    for (const { field } of INTEGRITY_FIELDS) expect(html).toContain(`<dd data-testid="integrity-${field}"><span class="pill pill-unknown">unknown</span></dd>`);
    expect(html).toContain('Fetching integrity status...');
  });

  it('loads nothing but its own script and styles, and runs no inline script', () => {
    expect([...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual([
      'data:,',
      '/transparency/assets/transparency.css',
      '/transparency/assets/transparency.js',
    ]);
    expect(html).not.toMatch(/<script(?![^>]*src="\/transparency\/assets\/transparency\.js")[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
  });

  it('serves a script that parses, polls only the public endpoints and uses no innerHTML', () => {
    expect(() => new Script(TRANSPARENCY_SCRIPT)).not.toThrow();
    expect(TRANSPARENCY_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(new Set([...TRANSPARENCY_SCRIPT.matchAll(/'(\/api\/[^']+)'/g)].map((match) => match[1]))).toEqual(new Set(['/api/public/integrity', '/api/public/invariants']));
    expect(TRANSPARENCY_STYLES).not.toMatch(/url\(|@import/);
  });
});
