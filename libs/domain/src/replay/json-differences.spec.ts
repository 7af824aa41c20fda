import fc from 'fast-check';
import { jsonDifferences, sameJson } from './json-differences';

describe('jsonDifferences', () => {
  it('names each differing leaf by its path, arrays as a whole, absent sides left out', () => {
    const recorded = { status: 'ALLOW', reasons: ['a', 'b'], stateRead: { lockdown: false, budgets: { daily: { used: 5, scopeKey: 'x' } } }, extra: 1 };
    const replayed = { status: 'DENY', reasons: ['a'], stateRead: { lockdown: false, budgets: { daily: { used: 7, scopeKey: 'x' } } }, budgetLevel: 'OK' };

    expect(jsonDifferences(recorded, replayed)).toEqual([
      { field: 'status', recorded: 'ALLOW', replayed: 'DENY' },
      { field: 'reasons', recorded: ['a', 'b'], replayed: ['a'] },
      { field: 'stateRead.budgets.daily.used', recorded: 5, replayed: 7 },
      { field: 'budgetLevel', replayed: 'OK' },
      { field: 'extra', recorded: 1 },
    ]);
  });

  it('finds nothing between a value and its JSON round trip with keys in another order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reordered = JSON.parse(JSON.stringify(value, (_key, member: unknown) => (member && typeof member === 'object' && !Array.isArray(member) ? Object.fromEntries(Object.entries(member).reverse()) : member))) as unknown;
        return sameJson(value, reordered) && jsonDifferences(value, reordered).length === 0;
      }),
    );
  });

  it('finds a difference whenever one leaf changes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue()), fc.string({ minLength: 1 }), (value, key) => {
        const changed = { ...value, [key]: { changed: true, was: value[key] ?? null } };
        return !sameJson(value, changed) && jsonDifferences(value, changed).some((difference) => difference.field.startsWith(key));
      }),
    );
  });
});
