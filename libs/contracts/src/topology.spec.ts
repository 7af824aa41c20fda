import fc from 'fast-check';
import { isValidNamespace, TENANT_ID_PATTERN, topology } from './topology';

describe('topology', () => {
  it('names exactly the production stream and subjects without a namespace', () => {
    const production = topology();

    expect(production.namespace).toBe('');
    expect(production.ledgerStream).toBe('LEDGER');
    expect(production.ledgerSubjects).toBe('ledger.evt.>');
    expect(production.ledgerSubject('tenant-a')).toBe('ledger.evt.tenant-a');
    expect(production.evaluateSubject).toBe('policy.req.evaluate');
    expect(production.appendSubject).toBe('ledger.req.append');
    expect(production.queueGroup('policy-evaluator')).toBe('policy-evaluator');
    expect(production.proposalUpdatedSubject('tenant-a')).toBe('gateway.evt.proposal-updated.tenant-a');
    expect(production.proposalUpdatedSubjects).toBe('gateway.evt.proposal-updated.*');
  });

  it('prefixes every subject and suffixes the stream name with a namespace', () => {
    const run = topology('run-42');

    expect(run.namespace).toBe('run-42');
    expect(run.ledgerStream).toBe('LEDGER_RUN_42');
    expect(run.ledgerSubjects).toBe('run-42.ledger.evt.>');
    expect(run.ledgerSubject('tenant-a')).toBe('run-42.ledger.evt.tenant-a');
    expect(run.evaluateSubject).toBe('run-42.policy.req.evaluate');
    expect(run.appendSubject).toBe('run-42.ledger.req.append');
    expect(run.queueGroup('ledger')).toBe('run-42.ledger');
    expect(run.proposalUpdatedSubject('tenant-a')).toBe('run-42.gateway.evt.proposal-updated.tenant-a');
    expect(run.proposalUpdatedSubjects).toBe('run-42.gateway.evt.proposal-updated.*');
  });

  it.each([
    ['upper-case letters', 'Run'],
    ['a dot, which would add a subject token', 'a.b'],
    ['a wildcard', '*'],
    ['a full wildcard', '>'],
    ['white space', 'a b'],
    ['an underscore', 'a_b'],
    ['more than 32 characters', 'a'.repeat(33)],
  ])('rejects a namespace with %s', (_name, namespace) => {
    expect(isValidNamespace(namespace)).toBe(false);
    expect(() => topology(namespace)).toThrow(/invalid namespace/);
  });

  it('accepts a namespace of 32 lower-case letters, digits and dashes', () => {
    expect(() => topology('a1-'.repeat(10) + 'zz')).not.toThrow();
  });

  describe('laws', () => {
    const namespaceArbitrary = fc.stringMatching(/^[a-z0-9-]{1,32}$/);
    const tenantArbitrary = fc.stringMatching(TENANT_ID_PATTERN);

    it('keeps every subject of a namespace inside that namespace', () => {
      fc.assert(
        fc.property(namespaceArbitrary, tenantArbitrary, (namespace, tenantId) => {
          const names = topology(namespace);
          const subjects = [
            names.ledgerSubjects,
            names.ledgerSubject(tenantId),
            names.evaluateSubject,
            names.appendSubject,
            names.proposalUpdatedSubject(tenantId),
            names.proposalUpdatedSubjects,
          ];
          subjects.forEach((subject) => expect(subject.startsWith(`${namespace}.`)).toBe(true));
          expect(names.ledgerStream.startsWith('LEDGER_')).toBe(true);
          // one tenant is one token under the stream's wildcard, so the stream captures it
          expect(names.ledgerSubject(tenantId)).toBe(names.ledgerSubjects.replace(/>$/, tenantId));
        }),
      );
    });

    it('gives two different namespaces different stream names', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[a-z0-9-]{0,32}$/), fc.stringMatching(/^[a-z0-9-]{0,32}$/), (first, second) => {
          fc.pre(first !== second);
          expect(topology(first).ledgerStream).not.toBe(topology(second).ledgerStream);
        }),
      );
    });

    it('gives a stream name NATS accepts', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[a-z0-9-]{0,32}$/), (namespace) => {
          expect(topology(namespace).ledgerStream).toMatch(/^[A-Z0-9_]+$/);
        }),
      );
    });
  });

  it.each(['>', '*', 'tenant.a', '', 'tenant a', 'x'.repeat(65)])('refuses %p as a tenant id, so no subject reaches another tenant', (tenantId) => {
    expect(() => topology().ledgerSubject(tenantId)).toThrow(/invalid tenant id/);
    expect(() => topology().proposalUpdatedSubject(tenantId)).toThrow(/invalid tenant id/);
  });
});
