import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from './canonical-json';

interface Vector {
  name: string;
  source: string;
  input: string;
  expected: string;
  /** For Appendix B: the IEEE-754 bits the input must parse to, as the RFC lists them. */
  ieee754?: string;
}

const { vectors } = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'rfc8785-vectors.json'), 'utf8')) as { vectors: Vector[] };

const bitsOf = (value: number): string => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
};

describe('canonicalize against the RFC 8785 test vectors', () => {
  it('has the vectors of sections 3.2.2 and 3.2.3 and of Appendix B', () => {
    expect(vectors.filter((vector) => vector.source === 'RFC 8785 section 3.2.2')).toHaveLength(1);
    expect(vectors.filter((vector) => vector.source === 'RFC 8785 section 3.2.3')).toHaveLength(1);
    expect(vectors.filter((vector) => vector.source === 'RFC 8785 Appendix B')).toHaveLength(24);
  });

  it.each(vectors.map((vector) => [`${vector.source}: ${vector.name}`, vector] as const))('%s', (_title, vector) => {
    const parsed: unknown = JSON.parse(vector.input);
    if (vector.ieee754 !== undefined) expect(bitsOf(parsed as number)).toBe(vector.ieee754);

    expect(canonicalize(parsed)).toBe(vector.expected);
  });

  it('writes the section 3.2.2 example as the UTF-8 bytes the RFC lists in section 3.2.4', () => {
    const example = vectors.find((vector) => vector.source === 'RFC 8785 section 3.2.2') as Vector;

    const rfcBytes = [
      '7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72',
      '75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a',
      '5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31',
      '65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37',
      '5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30',
      '30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d',
    ];

    expect(Buffer.from(canonicalize(JSON.parse(example.input)), 'utf8').toString('hex')).toBe(rfcBytes.join('').replace(/ /g, ''));
  });
});

// Our own cases on what the official test data also probes (see docs/ledger-proofs.md):
// expected outputs follow from the RFC's rules, not from that data.
describe('canonicalize on the themes of the official test data', () => {
  it.each([
    ['sorts keys by code unit, not by a locale', '{"côté":4,"cote":2,"côte":1,"coté":3}', '{"cote":2,"coté":3,"côte":1,"côté":4}'],
    ['sorts upper case before lower case', '{"b":1,"B":2,"a":3,"A":4}', '{"A":4,"B":2,"a":3,"b":1}'],
    ['sorts numeric-looking keys as strings', '{"2":"b","10":"a","1":"c"}', '{"1":"c","10":"a","2":"b"}'],
    ['keeps array order and empty structures, dropping white space', '[ 3 , {"b":[ ],"a":{ }} , "x" ]', '[3,{"a":{},"b":[]},"x"]'],
    ['writes equal numbers alike whatever their notation', '{"n":[1.0, 10E-1, -0, 1e2, 0.1e1, 56.0]}', '{"n":[1,1,0,100,1,56]}'],
    ['does not normalize Unicode', '{"decomposed":"e\\u0301","composed":"\\u00e9"}', '{"composed":"\u00e9","decomposed":"e\u0301"}'],
    ['orders a decomposed key before its composed twin', '{"\\u00e9":1,"e\\u0301":2}', '{"e\u0301":2,"\u00e9":1}'],
    ['does not escape what HTML would', '{"html":"<\\/p>&\'"}', '{"html":"</p>&\'"}'],
    ['escapes only what JSON must', '"\\u007F\\u0080\\u001F\\t"', '"\u007f\u0080\\u001f\\t"'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalize(JSON.parse(input))).toBe(expected);
  });
});
