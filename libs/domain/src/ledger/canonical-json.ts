/**
 * RFC 8785 (JSON Canonicalization Scheme): object members sorted by their UTF-16 code units,
 * no insignificant white space, numbers in ECMAScript's shortest round-trip form, strings
 * escaped as JSON.stringify does. The hash of every ledger event is taken over this form, so
 * any two implementations that follow the RFC agree on it byte for byte.
 *
 * Numbers: only finite numbers are representable (NaN and ±Infinity throw). Integers beyond
 * ±2^53 lose precision in every IEEE-754 reader, so events carry such values as strings.
 */
export const canonicalize = (value: unknown): string => {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
};

// RFC 8785 takes I-JSON input, which has no lone surrogates; other implementations would reject or hash them differently.
const quote = (text: string): string => {
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) throw new TypeError('canonical JSON cannot represent a string with a lone surrogate');
  return JSON.stringify(text);
};

const write = (value: unknown, out: string[]): void => {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot represent ${value}`);
      out.push(JSON.stringify(value));
      return;
    case 'string':
      out.push(quote(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot represent a ${typeof value}`);
  }
  const candidate = value as { toJSON?: () => unknown };
  if (typeof candidate.toJSON === 'function') {
    write(candidate.toJSON(), out);
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((element, index) => {
      if (index > 0) out.push(',');
      write(element === undefined || typeof element === 'function' ? null : element, out);
    });
    out.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as the RFC requires.
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined && typeof record[key] !== 'function')
    .sort();
  out.push('{');
  keys.forEach((key, index) => {
    if (index > 0) out.push(',');
    out.push(quote(key), ':');
    write(record[key], out);
  });
  out.push('}');
};
