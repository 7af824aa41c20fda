import fc from 'fast-check';
import { canonicalize } from './canonical-json';

const fromBits = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
};

// JSON has no -0: a parsed canonical form holds 0, so deep equality needs the input without it.
const withoutNegativeZero = (value: fc.JsonValue): fc.JsonValue => {
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, withoutNegativeZero(member as fc.JsonValue)]));
  }
  return value;
};

describe('canonicalize (RFC 8785)', () => {
  describe('object members', () => {
    it('sorts the keys of the RFC 8785 section 3.2.3 example by their UTF-16 code units', () => {
      const input = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };

      const output = canonicalize(input);

      expect(output).toBe(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it('puts a key outside the Basic Multilingual Plane before U+FB33, unlike code point order would', () => {
      expect(canonicalize({ '\ufb33': 1, '\ud83d\ude00': 2 })).toBe('{"\ud83d\ude00":2,"\ufb33":1}');
    });

    it('orders keys that are prefixes of each other shortest first', () => {
      expect(canonicalize({ ab: 3, a: 1, '': 0, b: 4, aa: 2 })).toBe('{"":0,"a":1,"aa":2,"ab":3,"b":4}');
    });

    it('sorts keys at every level of nesting and leaves array order alone', () => {
      const input = { z: [{ y: 1, x: [3, 1, 2] }, 'b', 'a'], a: { d: null, c: { f: false, e: true } } };

      expect(canonicalize(input)).toBe('{"a":{"c":{"e":true,"f":false},"d":null},"z":[{"x":[3,1,2],"y":1},"b","a"]}');
    });

    it('skips members whose value is undefined', () => {
      expect(canonicalize({ b: undefined, a: 1, c: { d: undefined } })).toBe('{"a":1,"c":{}}');
    });

    it('writes an undefined array element as null, as JSON.stringify does', () => {
      expect(canonicalize([1, undefined, 2])).toBe('[1,null,2]');
    });

    it('writes empty objects and arrays without white space', () => {
      expect(canonicalize({ a: {}, b: [], c: [[], {}] })).toBe('{"a":{},"b":[],"c":[[],{}]}');
    });
  });

  describe('numbers', () => {
    // RFC 8785 Appendix B: IEEE-754 bit patterns and the text ECMAScript gives them.
    it.each([
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ])('writes the double with bits %s as %s', (bits, expected) => {
      expect(canonicalize(fromBits(bits))).toBe(expected);
    });

    it.each([
      [0, '0'],
      [-0, '0'],
      [1e21, '1e+21'],
      [1e20, '100000000000000000000'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [9007199254740992, '9007199254740992'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [-1.5, '-1.5'],
      [100, '100'],
    ])('writes the literal %p as %s', (value, expected) => {
      expect(canonicalize(value)).toBe(expected);
    });

    it.each([
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ])('refuses %s', (_name, value) => {
      expect(() => canonicalize(value)).toThrow(TypeError);
    });

    it('refuses a non-finite number nested deep inside an object', () => {
      expect(() => canonicalize({ a: [1, { b: NaN }] })).toThrow(TypeError);
    });

    it('refuses a bigint instead of guessing its representation', () => {
      expect(() => canonicalize({ amount: BigInt(1) })).toThrow(TypeError);
    });
  });

  describe('strings', () => {
    it.each([['a lone high surrogate', '\ud800'], ['a lone low surrogate', 'x\udc00y'], ['reversed surrogates', '\ude00\ud83d']])(
      'refuses %s, which I-JSON forbids',
      (_name, text) => {
        expect(() => canonicalize({ text })).toThrow(/lone surrogate/);
        expect(() => canonicalize({ [text]: 1 })).toThrow(/lone surrogate/);
      },
    );

    it.each([
      ['backspace', '\b', '"\\b"'],
      ['tab', '\t', '"\\t"'],
      ['line feed', '\n', '"\\n"'],
      ['form feed', '\f', '"\\f"'],
      ['carriage return', '\r', '"\\r"'],
      ['U+0000', '\u0000', '"\\u0000"'],
      ['U+0001', '\u0001', '"\\u0001"'],
      ['U+000B', '\u000b', '"\\u000b"'],
      ['U+001F', '\u001f', '"\\u001f"'],
      ['a quotation mark', '"', '"\\""'],
      ['a reverse solidus', '\\', '"\\\\"'],
    ])('escapes %s', (_name, input, expected) => {
      expect(canonicalize(input)).toBe(expected);
    });

    it('escapes every control character below U+0020 with a short form or lower-case \\u00XX', () => {
      const shortForms: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
      for (let code = 0; code < 0x20; code += 1) {
        const expected = shortForms[code] ?? `\\u00${code.toString(16).padStart(2, '0')}`;
        expect(canonicalize(String.fromCharCode(code))).toBe(`"${expected}"`);
      }
    });

    it('does not escape the solidus', () => {
      expect(canonicalize('a/b')).toBe('"a/b"');
    });

    it('keeps DEL and non-ASCII characters literal', () => {
      expect(canonicalize('\u007f\u00e9\u20ac\ud83d\ude00\ufb33')).toBe('"\u007f\u00e9\u20ac\ud83d\ude00\ufb33"');
    });

    it('escapes the keys of an object like any other string', () => {
      expect(canonicalize({ 'a\nb': 1, 'c"d': 2 })).toBe('{"a\\nb":1,"c\\"d":2}');
    });
  });

  describe('other values', () => {
    it('writes the literals true, false and null', () => {
      expect(canonicalize([true, false, null])).toBe('[true,false,null]');
    });

    it('writes a Date through its toJSON, as an ISO string', () => {
      expect(canonicalize({ at: new Date('2026-03-15T10:00:00.000Z') })).toBe('{"at":"2026-03-15T10:00:00.000Z"}');
    });

    it('canonicalizes what a toJSON method returns, sorting its keys', () => {
      const value = { toJSON: () => ({ b: 2, a: 1 }) };

      expect(canonicalize({ value })).toBe('{"value":{"a":1,"b":2}}');
    });

    it('refuses undefined at the top level', () => {
      expect(() => canonicalize(undefined)).toThrow(TypeError);
    });
  });

  describe('laws', () => {
    it('writes input already in canonical order (the fast path) exactly as input in any other order', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
          const sorted = JSON.parse(canonicalize(value)) as unknown;
          const reversed = JSON.parse(JSON.stringify(value, (_key, member: unknown) =>
            member !== null && typeof member === 'object' && !Array.isArray(member) ? Object.fromEntries(Object.entries(member).reverse()) : member,
          )) as unknown;
          expect(canonicalize(sorted)).toBe(canonicalize(reversed));
        }),
      );
      // Sorted input whose strings need care: a literal backslash-u sequence is kept, a lone surrogate still refused.
      expect(canonicalize({ a: '\\ud800', b: 'tab\there' })).toBe('{"a":"\\\\ud800","b":"tab\\there"}');
      expect(() => canonicalize({ a: 1, b: '\ud800' })).toThrow(/lone surrogate/);
    });

    it('is a fixed point: canonicalizing the parsed canonical form gives the same text', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const canonical = canonicalize(value);
          expect(canonicalize(JSON.parse(canonical))).toBe(canonical);
        }),
      );
    });

    it('always writes valid JSON that parses back to an equal value', () => {
      fc.assert(
        fc.property(fc.jsonValue().map(withoutNegativeZero), (value) => {
          expect(JSON.parse(canonicalize(value))).toEqual(value);
        }),
      );
    });

    it('writes the same text whatever the order of the keys in the input objects', () => {
      const reorder = (value: fc.JsonValue, permute: (keys: string[]) => string[]): fc.JsonValue => {
        if (Array.isArray(value)) return value.map((element) => reorder(element, permute));
        if (value !== null && typeof value === 'object') {
          const record = value as Record<string, fc.JsonValue>;
          return Object.fromEntries(permute(Object.keys(record)).map((key) => [key, reorder(record[key] as fc.JsonValue, permute)]));
        }
        return value;
      };
      fc.assert(
        fc.property(fc.jsonValue(), fc.gen(), (value, generate) => {
          const shuffled = reorder(value, (keys) => generate(fc.shuffledSubarray, keys, { minLength: keys.length, maxLength: keys.length }));
          expect(canonicalize(shuffled)).toBe(canonicalize(value));
        }),
      );
    });

    it('never contains white space outside of strings', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const outsideStrings = canonicalize(value).replace(/"(?:[^"\\]|\\.)*"/g, '""');
          expect(outsideStrings).not.toMatch(/\s/);
        }),
      );
    });
  });
});
