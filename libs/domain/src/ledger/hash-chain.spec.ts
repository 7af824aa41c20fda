import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { LedgerEvent, LedgerEventType } from '@halm/contracts';
import { canonicalize } from './canonical-json';
import { canonicalEventTexts, chain, chainWithText, EMPTY_HEAD, type EventDraft, GENESIS_HASH, hashEvent, headOf, verifyChain } from './hash-chain';

const buildChain = (drafts: readonly EventDraft[], from = EMPTY_HEAD): LedgerEvent[] => {
  const events: LedgerEvent[] = [];
  let head = from;
  for (const draft of drafts) {
    const event = chain(head, draft);
    events.push(event);
    head = headOf(event);
  }
  return events;
};

const draft = (eventId: string, data: unknown = { n: eventId }): EventDraft => ({
  tenantId: 'tenant-a',
  eventId,
  type: 'DecisionRecorded',
  recordedAt: '2026-03-15T10:00:00.000Z',
  data,
});

const tenantIdArbitrary = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
const hashArbitrary = fc.stringMatching(/^[0-9a-f]{64}$/);
const isoArbitrary = fc
  .date({ min: new Date('2020-01-01T00:00:00.000Z'), max: new Date('2040-01-01T00:00:00.000Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
const dataArbitrary = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 });

const draftsArbitrary = (minLength: number) =>
  fc.tuple(tenantIdArbitrary, fc.uniqueArray(fc.uuid(), { minLength, maxLength: 8 })).chain(([tenantId, eventIds]) =>
    fc.tuple(
      fc.constant(tenantId),
      fc.tuple(...eventIds.map((eventId) => fc.record({ recordedAt: isoArbitrary, data: dataArbitrary }).map(({ recordedAt, data }) => ({
        tenantId,
        eventId,
        type: 'DecisionRecorded' as const,
        recordedAt,
        data,
      })))),
    ),
  );

type Tampering = { field: string; tamper: (event: LedgerEvent, generate: fc.GeneratorValue) => LedgerEvent };

const differentFrom = <T>(arbitrary: fc.Arbitrary<T>, original: T): fc.Arbitrary<T> =>
  arbitrary.filter((candidate) => canonicalize(candidate) !== canonicalize(original));

// Each of these changes one covered field and leaves the stored hash as it was.
const hashOnlyTamperings: Tampering[] = [
  {
    field: 'data value',
    tamper: (event, generate) => {
      const data = event.data as Record<string, fc.JsonValue>;
      const key = generate(fc.constantFrom, ...Object.keys(data));
      return { ...event, data: { ...data, [key]: generate(() => differentFrom(fc.jsonValue({ maxDepth: 2 }), data[key])) } };
    },
  },
  { field: 'recordedAt', tamper: (event, generate) => ({ ...event, recordedAt: generate(() => differentFrom(isoArbitrary, event.recordedAt)) }) },
  { field: 'eventId', tamper: (event, generate) => ({ ...event, eventId: generate(() => differentFrom(fc.uuid(), event.eventId)) }) },
  { field: 'type', tamper: (event) => ({ ...event, type: 'DecisionRevoked' as LedgerEventType }) },
];

describe('the per-tenant hash chain', () => {
  it('starts from height 0 and a genesis hash of 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(EMPTY_HEAD).toEqual({ height: 0, hash: GENESIS_HASH });
  });

  it('gives the first event height 1 and the genesis hash as its prevHash', () => {
    const event = chain(EMPTY_HEAD, draft('e1'));

    expect(event.height).toBe(1);
    expect(event.prevHash).toBe(GENESIS_HASH);
  });

  it('links each event to the hash of the one before it', () => {
    const [first, second, third] = buildChain([draft('e1'), draft('e2'), draft('e3')]);

    expect(second).toMatchObject({ height: 2, prevHash: first?.hash });
    expect(third).toMatchObject({ height: 3, prevHash: second?.hash });
  });

  it('hashes the RFC 8785 form of every field but the hash itself', () => {
    const event = chain(EMPTY_HEAD, { ...draft('e1'), data: { b: 1, a: [true, null] } });
    const canonical =
      `{"data":{"a":[true,null],"b":1},"eventId":"e1","height":1,"prevHash":"${GENESIS_HASH}",` +
      '"recordedAt":"2026-03-15T10:00:00.000Z","tenantId":"tenant-a","type":"DecisionRecorded"}';

    expect(event.hash).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'));
    expect(hashEvent(event)).toBe(event.hash);
  });

  it('reports no break for a chain built with chain', () => {
    expect(verifyChain(buildChain([draft('e1'), draft('e2'), draft('e3')]))).toEqual([]);
  });

  it('reports no break for an empty list of events', () => {
    expect(verifyChain([])).toEqual([]);
  });

  it('verifies a later segment against the head it continues from', () => {
    const events = buildChain([draft('e1'), draft('e2'), draft('e3'), draft('e4')]);
    const head = headOf(events[1] as LedgerEvent);

    expect(verifyChain(events.slice(2), head)).toEqual([]);
  });

  it('reports a later segment verified as if it were the start of the chain', () => {
    const events = buildChain([draft('e1'), draft('e2'), draft('e3')]);

    expect(verifyChain(events.slice(1)).map((found) => found.problem)).toEqual(['HEIGHT_GAP', 'PREV_HASH_MISMATCH']);
  });

  it('reports an event of another tenant when the tenant is given', () => {
    const events = buildChain([draft('e1'), draft('e2')]);

    expect(verifyChain(events, EMPTY_HEAD, 'tenant-b').map((found) => [found.height, found.problem])).toEqual([
      [1, 'TENANT_MISMATCH'],
      [2, 'TENANT_MISMATCH'],
    ]);
  });

  describe('laws', () => {
    it('writes both canonical texts of an event exactly as canonicalize does, from one pass over its data', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), fc.jsonValue({ maxDepth: 3 }), ([, drafts], strange) => {
          for (const event of [...buildChain(drafts), { ...buildChain(drafts)[0]!, data: strange, height: strange as number }]) {
            const { tenantId, height, prevHash, eventId, type, recordedAt, data, hash } = event;
            expect(canonicalEventTexts(event)).toEqual({
              unsealed: canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data }),
              sealed: canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data, hash }),
            });
          }
        }),
      );
    });

    it('chains an event with its canonical text, hash included', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), ([, drafts]) => {
          const { event, text } = chainWithText(EMPTY_HEAD, drafts[0]!);
          expect(event).toEqual(chain(EMPTY_HEAD, drafts[0]!));
          expect(text).toBe(canonicalize(event));
        }),
      );
    });

    it('hands a verifier each sealed text, and finds the same breaks with or without it', () => {
      fc.assert(
        fc.property(draftsArbitrary(2), ([, drafts]) => {
          const events = buildChain(drafts);
          const tampered = [events[0]!, { ...events[1]!, recordedAt: '1999-01-01T00:00:00.000Z' }, ...events.slice(2)];
          const sealed: string[] = [];
          expect(verifyChain(tampered, EMPTY_HEAD, undefined, (text) => sealed.push(text))).toEqual(verifyChain(tampered));
          expect(sealed).toEqual(tampered.map(({ tenantId, height, prevHash, eventId, type, recordedAt, data, hash }) => canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data, hash })));
        }),
      );
    });

    it('verifies every chain built with chain', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), ([, drafts]) => {
          expect(verifyChain(buildChain(drafts))).toEqual([]);
        }),
      );
    });

    it('builds the same hashes from the same drafts', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), ([, drafts]) => {
          const copy = structuredClone(drafts);
          expect(buildChain(copy)).toEqual(buildChain(drafts));
        }),
      );
    });

    it('never gives two different events of a chain the same hash', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), ([, drafts]) => {
          const hashes = buildChain(drafts).map((event) => event.hash);
          expect(new Set(hashes).size).toBe(hashes.length);
          hashes.forEach((hash) => expect(hash).toMatch(/^[0-9a-f]{64}$/));
        }),
      );
    });

    it.each(hashOnlyTamperings)('reports a changed $field as a hash mismatch at the height of the changed event, and nothing else', ({ tamper }) => {
      fc.assert(
        fc.property(draftsArbitrary(1), fc.nat(), fc.gen(), ([tenantId, drafts], position, generate) => {
          const events = buildChain(drafts);
          const index = position % events.length;
          const original = events[index] as LedgerEvent;
          const altered = tamper(original, generate);
          const tampered = events.map((event, at) => (at === index ? altered : event));

          expect(verifyChain(tampered, EMPTY_HEAD, tenantId)).toEqual([
            { height: index + 1, eventId: altered.eventId, problem: 'HASH_MISMATCH', expected: hashEvent(altered), actual: original.hash },
          ]);
        }),
      );
    });

    it('reports a changed prevHash at the height of the changed event', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), fc.nat(), hashArbitrary, ([tenantId, drafts], position, forged) => {
          const events = buildChain(drafts);
          const index = position % events.length;
          const original = events[index] as LedgerEvent;
          fc.pre(forged !== original.prevHash);
          const tampered = events.map((event, at) => (at === index ? { ...event, prevHash: forged } : event));

          expect(verifyChain(tampered, EMPTY_HEAD, tenantId).map((found) => [found.height, found.eventId, found.problem])).toEqual([
            [index + 1, original.eventId, 'PREV_HASH_MISMATCH'],
            [index + 1, original.eventId, 'HASH_MISMATCH'],
          ]);
        }),
      );
    });

    it('reports a changed tenantId at the height of the changed event', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), fc.nat(), tenantIdArbitrary, ([tenantId, drafts], position, otherTenant) => {
          fc.pre(otherTenant !== tenantId);
          const events = buildChain(drafts);
          const index = position % events.length;
          const original = events[index] as LedgerEvent;
          const tampered = events.map((event, at) => (at === index ? { ...event, tenantId: otherTenant } : event));

          expect(verifyChain(tampered, EMPTY_HEAD, tenantId)).toEqual([
            { height: index + 1, eventId: original.eventId, problem: 'TENANT_MISMATCH', expected: tenantId, actual: otherTenant },
            expect.objectContaining({ height: index + 1, eventId: original.eventId, problem: 'HASH_MISMATCH', actual: original.hash }),
          ]);
        }),
      );
    });

    it('reports a changed tenantId even when the verifier is not told the tenant', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), fc.nat(), tenantIdArbitrary, ([tenantId, drafts], position, otherTenant) => {
          fc.pre(otherTenant !== tenantId);
          const events = buildChain(drafts);
          const index = position % events.length;
          const tampered = events.map((event, at) => (at === index ? { ...event, tenantId: otherTenant } : event));

          expect(verifyChain(tampered)).toContainEqual(expect.objectContaining({ height: index + 1, problem: 'HASH_MISMATCH' }));
        }),
      );
    });

    it('reports a changed height as a gap and a hash mismatch on the changed event', () => {
      fc.assert(
        fc.property(draftsArbitrary(1), fc.nat(), fc.integer({ min: -5, max: 20 }), ([tenantId, drafts], position, forgedHeight) => {
          const events = buildChain(drafts);
          const index = position % events.length;
          const original = events[index] as LedgerEvent;
          fc.pre(forgedHeight !== original.height);
          const tampered = events.map((event, at) => (at === index ? { ...event, height: forgedHeight } : event));

          const breaks = verifyChain(tampered, EMPTY_HEAD, tenantId);

          expect(breaks.slice(0, 2)).toEqual([
            { height: forgedHeight, eventId: original.eventId, problem: 'HEIGHT_GAP', expected: index + 1, actual: forgedHeight },
            expect.objectContaining({ height: forgedHeight, eventId: original.eventId, problem: 'HASH_MISMATCH', actual: original.hash }),
          ]);
        }),
      );
    });

    it('reports a replaced hash on the event itself and on the event that follows it', () => {
      fc.assert(
        fc.property(draftsArbitrary(2), fc.nat(), hashArbitrary, ([tenantId, drafts], position, forged) => {
          const events = buildChain(drafts);
          const index = position % (events.length - 1);
          fc.pre(forged !== events[index]?.hash);
          const tampered = events.map((event, at) => (at === index ? { ...event, hash: forged } : event));

          expect(verifyChain(tampered, EMPTY_HEAD, tenantId).map((found) => [found.height, found.problem])).toEqual([
            [index + 1, 'HASH_MISMATCH'],
            [index + 2, 'PREV_HASH_MISMATCH'],
          ]);
        }),
      );
    });

    it('reports a removed event at the event that followed it', () => {
      fc.assert(
        fc.property(draftsArbitrary(2), fc.nat(), ([tenantId, drafts], position) => {
          const events = buildChain(drafts);
          // removing the last event leaves a valid shorter chain: only a signed checkpoint of the head catches that
          const index = position % (events.length - 1);
          const next = events[index + 1] as LedgerEvent;
          const remaining = events.filter((_event, at) => at !== index);

          expect(verifyChain(remaining, EMPTY_HEAD, tenantId).map((found) => [found.height, found.eventId, found.problem])).toEqual([
            [index + 2, next.eventId, 'HEIGHT_GAP'],
            [index + 2, next.eventId, 'PREV_HASH_MISMATCH'],
          ]);
        }),
      );
    });

    it('reports any reordering of the events', () => {
      fc.assert(
        fc.property(draftsArbitrary(2), fc.gen(), ([tenantId, drafts], generate) => {
          const events = buildChain(drafts);
          const reordered = generate(fc.shuffledSubarray, events, { minLength: events.length, maxLength: events.length });
          fc.pre(reordered.some((event, at) => event !== events[at]));

          const breaks = verifyChain(reordered, EMPTY_HEAD, tenantId);

          const firstMoved = reordered.findIndex((event, at) => event !== events[at]);
          expect(breaks[0]).toMatchObject({ eventId: reordered[firstMoved]?.eventId, problem: 'HEIGHT_GAP', expected: firstMoved + 1 });
        }),
      );
    });
  });
});
