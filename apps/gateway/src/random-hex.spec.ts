import { randomHex } from './random-hex';

describe('randomHex', () => {
  it('hands out distinct ids of the length asked for, across many refills of its pool', () => {
    const ids = Array.from({ length: 5_000 }, () => randomHex(12));

    expect(ids.every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serves a request larger than its pool', () => {
    expect(randomHex(5_000)).toMatch(/^[0-9a-f]{10000}$/);
  });
});
