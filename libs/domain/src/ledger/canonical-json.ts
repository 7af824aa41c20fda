/**
 * RFC 8785 (JSON Canonicalization Scheme): object members sorted by their UTF-16 code units,
 * no insignificant white space, numbers in ECMAScript's shortest round-trip form, strings
 * escaped as JSON.stringify does. The hash of every ledger event is taken over this form, so
 * any two implementations that follow the RFC agree on it byte for byte.
 *
 * Numbers: only finite numbers are representable (NaN and ±Infinity throw). Integers beyond
 * ±2^53 lose precision in every IEEE-754 reader, so events carry such values as strings.
 *
 * Every ledger verification canonicalizes each event (twice with the Merkle leaf), so this is
 * written for speed (docs/performance.md, "Ledger verification"): the text is built by string
 * concatenation, plain strings skip JSON.stringify, small objects' keys are sorted in place,
 * and the quoted form of common keys is kept. None of this changes a byte of the output.
 */
export const canonicalize = (value: unknown): string => {
  if (inCanonicalOrder(value)) {
    const text = JSON.stringify(value);
    // JSON.stringify escapes a lone surrogate (\udXXX, lower case) where RFC 8785 refuses it: that rare text takes the general path, which throws.
    if (!LONE_SURROGATE_ESCAPE.test(text)) return text;
  }
  return write(value);
};

const LONE_SURROGATE_ESCAPE = /\\ud[89a-f]/;

/**
 * Whether JSON.stringify already writes `value` canonically: every object's keys come in RFC
 * 8785 order (as they do in anything parsed from canonical text, such as ledger events read
 * back from the stream), every number is finite, and nothing is undefined, a function or has
 * toJSON. JSON.stringify then writes what `write` would — the same number form, the same
 * string escapes (`quote` uses JSON.stringify's), keys in the order Object.keys gives them —
 * in native code. Anything else takes the general path, which sorts and refuses what it must.
 */
const inCanonicalOrder = (value: unknown): boolean => {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const element: unknown = value[index];
      if (element === undefined || !inCanonicalOrder(element)) return false;
    }
    return true;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index] as string;
    // Strictly ascending by UTF-16 code units, the order `write` sorts them in.
    if (index > 0 && !((keys[index - 1] as string) < key)) return false;
    const member = record[key];
    if (member === undefined || !inCanonicalOrder(member)) return false;
  }
  return true;
};

// A character JSON.stringify escapes (", \, below U+0020) or any surrogate code unit, paired or
// not. A string without one is written between quotes as it is, exactly as JSON.stringify would.
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

// RFC 8785 takes I-JSON input, which has no lone surrogates; other implementations would reject or hash them differently.
const quote = (text: string): string => {
  if (!NEEDS_CARE.test(text)) return `"${text}"`;
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) throw new TypeError('canonical JSON cannot represent a string with a lone surrogate');
  return JSON.stringify(text);
};

// `"key":` for keys seen before. Events repeat a few dozen keys; the bounds keep keys chosen by
// agents (payloads) from growing the map without limit.
const QUOTED_KEYS_MAX = 1024;
const QUOTED_KEY_MAX_LENGTH = 64;
const quotedKeys = new Map<string, string>();

const memberName = (key: string): string => {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${quote(key)}:`;
    if (key.length <= QUOTED_KEY_MAX_LENGTH && quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
};

// Up to this many keys, an insertion sort in place beats Array.prototype.sort; beyond, the
// built-in sort keeps a payload with many keys at n log n.
const INSERTION_SORT_MAX = 16;

// Both orders compare UTF-16 code units, as the RFC requires: `>` on two strings does, and so
// does Array.prototype.sort without a comparator.
const sortedKeys = (record: object): string[] => {
  const keys = Object.keys(record);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let index = 1; index < keys.length; index += 1) {
    const key = keys[index] as string;
    let before = index - 1;
    while (before >= 0 && (keys[before] as string) > key) {
      keys[before + 1] = keys[before] as string;
      before -= 1;
    }
    keys[before + 1] = key;
  }
  return keys;
};

const write = (value: unknown): string => {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot represent ${value}`);
      // Number::toString, the form JSON.stringify writes and the RFC prescribes (-0 becomes "0").
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot represent a ${typeof value}`);
  }
  const candidate = value as { toJSON?: () => unknown };
  if (typeof candidate.toJSON === 'function') return write(candidate.toJSON());
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1) {
      if (index > 0) text += ',';
      const element: unknown = value[index];
      text += element === undefined || typeof element === 'function' ? 'null' : write(element);
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let text = '{';
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index] as string;
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    if (text.length > 1) text += ',';
    text += memberName(key) + write(member);
  }
  return `${text}}`;
};
