import { ACTION_TYPES, DECISION_STATUSES, type DecisionStatus } from '@halm/contracts';
import { LineCounter, parseDocument } from 'yaml';
import { compileExpression, type CompiledExpression, type ExpressionKind } from './cel-environment';
import {
  type ActionPlan,
  BUDGET_SCOPES,
  type BudgetDocument,
  type CompiledBudget,
  type CompiledManifest,
  type CompiledRule,
  MAX_DURATION_SECONDS,
  type ManifestDocument,
  manifestHash,
  parseDuration,
  type RuleDocument,
} from './manifest';

/**
 * One thing wrong with a manifest. `path` is a JSON pointer to the bad field (`/rules/2/when`).
 * For a CEL error, `line` and `column` (1-based) point into the expression itself; for a YAML
 * syntax error (whose path is ''), into the source.
 */
export interface ManifestError {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ManifestCompilation = { ok: true; manifest: CompiledManifest } | { ok: false; errors: ManifestError[] };

export const MANIFEST_LIMITS = {
  rules: 500,
  budgets: 100,
  idLength: 64,
  reasonLength: 500,
  descriptionLength: 2_000,
  expressionLength: 4_096,
} as const;

export const MANIFEST_FIELDS = ['version', 'description', 'autoCommitThreshold', 'rules', 'budgets'] as const;
export const RULE_FIELDS = ['id', 'actionTypes', 'effect', 'when', 'reason', 'vetoWindow', 'constraints', 'minConfidence'] as const;
export const BUDGET_FIELDS = ['id', 'actionTypes', 'scope', 'window', 'amount', 'warning', 'critical'] as const;
export const ID_PATTERN = /^[a-z0-9-]+$/;

/**
 * Validates a manifest (YAML or JSON text, or an already parsed object) and compiles it: every
 * error with its path, every CEL expression parsed and type-checked once. Pure.
 */
export const compileManifest = (source: string | object): ManifestCompilation => {
  const parsed = typeof source === 'string' ? parseSource(source) : { ok: true as const, value: source };
  if (!parsed.ok) return parsed;
  const validator = new Validator();
  const checked = validator.manifest(parsed.value);
  if (!checked || validator.errors.length > 0) return { ok: false, errors: validator.errors };
  const version = (parsed.value as Record<string, unknown>)['version'] as number | undefined;
  return { ok: true, manifest: assemble(checked, version, validator.expressions) };
};

const parseSource = (source: string): { ok: true; value: unknown } | { ok: false; errors: ManifestError[] } => {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (document.errors.length > 0) {
    return { ok: false, errors: document.errors.map((error) => ({ path: '', message: `YAML: ${error.message}`, ...at(error.pos[0]) })) };
  }
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return { ok: false, errors: [{ path: '', message: `YAML: ${(error as Error).message}` }] };
  }
};

type Checked<T> = T | undefined;

interface ExpressionEntry {
  evaluate: CompiledExpression;
  readsState: boolean;
}

// JSON pointer escaping (RFC 6901), so an unknown key with a slash still points at itself.
const pointer = (path: string, key: string | number): string => `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// Realm-independent: a structured clone (or a test runner's sandbox) gives plain objects another realm's Object.prototype.
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (!isRecord(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
};

const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

const describe = (value: unknown): string => {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return `a ${typeof value}`;
};

const quoteList = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

class Validator {
  readonly errors: ManifestError[] = [];
  readonly expressions = new Map<string, ExpressionEntry>();
  private readonly ids: [id: string, path: string][] = [];

  manifest(value: unknown): Checked<ManifestDocument> {
    if (!isRecord(value)) {
      this.report('', `a manifest must be an object, got ${describe(value)}`);
      return undefined;
    }
    this.knownFields(value, '', MANIFEST_FIELDS);
    if (value['version'] !== undefined && !(Number.isSafeInteger(value['version']) && (value['version'] as number) >= 1)) {
      this.report('/version', `must be a whole number of at least 1, got ${describe(value['version'])}`);
    }
    const description = this.optionalText(value, '', 'description', MANIFEST_LIMITS.descriptionLength);
    const autoCommitThreshold = this.fraction(value, '', 'autoCommitThreshold', true);
    const rules = this.list(value, '', 'rules', true, MANIFEST_LIMITS.rules, (item, path) => this.rule(item, path));
    const budgets = this.list(value, '', 'budgets', false, MANIFEST_LIMITS.budgets, (item, path) => this.budget(item, path)) ?? [];
    this.uniqueIds();
    if (autoCommitThreshold === undefined || rules === undefined) return undefined;
    const document: ManifestDocument = { autoCommitThreshold, rules: rules as RuleDocument[], budgets: budgets as BudgetDocument[] };
    if (description !== undefined) document.description = description;
    return document;
  }

  private rule(value: unknown, path: string): Checked<RuleDocument> {
    if (!isRecord(value)) return this.report(path, `a rule must be an object, got ${describe(value)}`);
    this.knownFields(value, path, RULE_FIELDS);
    const id = this.id(value, path);
    const actionTypes = this.actionTypes(value, path);
    const effect = this.effect(value, path);
    const when = this.expression(value, path, 'when', 'condition', false);
    const reason = this.text(value, path, 'reason', MANIFEST_LIMITS.reasonLength);
    const vetoWindow = value['vetoWindow'];
    if (effect === 'HELD_FOR_VETO') {
      if (vetoWindow === undefined) this.report(pointer(path, 'vetoWindow'), 'is required for a HELD_FOR_VETO rule');
      else this.duration(vetoWindow, pointer(path, 'vetoWindow'));
    } else if (vetoWindow !== undefined && effect !== undefined) {
      this.report(pointer(path, 'vetoWindow'), `only a HELD_FOR_VETO rule has a veto window, this one is ${effect}`);
    }
    const constraints = value['constraints'];
    if (constraints !== undefined) {
      if (effect !== undefined && effect !== 'ALLOW') this.report(pointer(path, 'constraints'), `only an ALLOW rule hands constraints to the agent, this one is ${effect}`);
      else if (!isRecord(constraints)) this.report(pointer(path, 'constraints'), `must be an object, got ${describe(constraints)}`);
      else this.json(constraints, pointer(path, 'constraints'));
    }
    const minConfidence = value['minConfidence'];
    if (minConfidence !== undefined) {
      if (effect !== undefined && effect !== 'ALLOW') this.report(pointer(path, 'minConfidence'), `only an ALLOW rule has a minimum confidence, this one is ${effect}`);
      else this.fraction(value, path, 'minConfidence', false);
    }
    if (id === undefined || actionTypes === undefined || effect === undefined || reason === undefined) return undefined;
    const rule: RuleDocument = { id, actionTypes, effect, reason };
    if (when !== undefined) rule.when = when;
    if (typeof vetoWindow === 'string' && effect === 'HELD_FOR_VETO') rule.vetoWindow = vetoWindow;
    if (isRecord(constraints)) rule.constraints = cloneJson(constraints) as Record<string, unknown>;
    if (typeof minConfidence === 'number') rule.minConfidence = minConfidence;
    return rule;
  }

  private budget(value: unknown, path: string): Checked<BudgetDocument> {
    if (!isRecord(value)) return this.report(path, `a budget must be an object, got ${describe(value)}`);
    this.knownFields(value, path, BUDGET_FIELDS);
    const id = this.id(value, path);
    const actionTypes = this.actionTypes(value, path);
    const scope = value['scope'];
    if (scope === undefined) this.report(pointer(path, 'scope'), 'is required');
    else if (!(BUDGET_SCOPES as readonly unknown[]).includes(scope)) this.report(pointer(path, 'scope'), `must be one of ${quoteList(BUDGET_SCOPES)}, got ${describe(scope)}`);
    const window = value['window'];
    if (window === undefined) this.report(pointer(path, 'window'), 'is required');
    else this.duration(window, pointer(path, 'window'));
    const amount = this.expression(value, path, 'amount', 'amount', true);
    const warning = this.limit(value, path, 'warning', false);
    const critical = this.limit(value, path, 'critical', true);
    if (warning !== undefined && critical !== undefined && warning > critical) {
      this.report(pointer(path, 'warning'), `must not be above critical (${critical}), got ${warning}`);
    }
    if (id === undefined || actionTypes === undefined || amount === undefined || critical === undefined || typeof window !== 'string') return undefined;
    const budget: BudgetDocument = { id, actionTypes, scope: scope as BudgetDocument['scope'], window, amount, critical };
    if (warning !== undefined) budget.warning = warning;
    return budget;
  }

  private id(value: Record<string, unknown>, path: string): Checked<string> {
    const id = this.text(value, path, 'id', MANIFEST_LIMITS.idLength);
    if (id !== undefined && !ID_PATTERN.test(id)) return this.report(pointer(path, 'id'), `must use only a-z, 0-9 and '-', got ${JSON.stringify(id)}`);
    if (id !== undefined) this.ids.push([id, pointer(path, 'id')]);
    return id;
  }

  private actionTypes(value: Record<string, unknown>, path: string): Checked<RuleDocument['actionTypes']> {
    const here = pointer(path, 'actionTypes');
    const types = value['actionTypes'];
    if (types === undefined) return this.report(here, "is required: a list of action types, or ['*'] for all");
    if (!Array.isArray(types)) return this.report(here, `must be a list of action types, got ${describe(types)}`);
    if (types.length === 0) return this.report(here, "must name at least one action type, or '*' for all");
    let valid = true;
    types.forEach((type, index) => {
      if (type !== '*' && !(ACTION_TYPES as readonly unknown[]).includes(type)) {
        valid = false;
        this.report(pointer(here, index), `must be '*' or one of ${quoteList(ACTION_TYPES)}, got ${describe(type)}`);
      } else if (types.indexOf(type) !== index) {
        valid = false;
        this.report(pointer(here, index), `names ${type} twice`);
      }
    });
    if (valid && types.includes('*') && types.length > 1) return this.report(here, "'*' already covers every action type and must stand alone");
    return valid ? [...types] : undefined;
  }

  private effect(value: Record<string, unknown>, path: string): Checked<DecisionStatus> {
    const effect = value['effect'];
    if (effect === undefined) return this.report(pointer(path, 'effect'), 'is required');
    if (!(DECISION_STATUSES as readonly unknown[]).includes(effect)) return this.report(pointer(path, 'effect'), `must be one of ${quoteList(DECISION_STATUSES)}, got ${describe(effect)}`);
    return effect as DecisionStatus;
  }

  private expression(value: Record<string, unknown>, path: string, field: string, kind: ExpressionKind, required: boolean): Checked<string> {
    const source = required ? this.text(value, path, field, MANIFEST_LIMITS.expressionLength) : this.optionalText(value, path, field, MANIFEST_LIMITS.expressionLength);
    if (source === undefined) return undefined;
    const here = pointer(path, field);
    const compiled = compileExpression(source, kind);
    if (!compiled.ok) {
      const position = compiled.offset === undefined ? {} : positionIn(source, compiled.offset);
      this.errors.push({ path: here, message: `CEL: ${compiled.message}`, ...position });
      return undefined;
    }
    this.expressions.set(here, { evaluate: compiled.evaluate, readsState: compiled.readsState });
    return source;
  }

  private duration(value: unknown, path: string): void {
    if (typeof value !== 'string') {
      this.report(path, `must be a duration such as '90s', '15m', '1h' or '7d', got ${describe(value)}`);
      return;
    }
    const seconds = parseDuration(value);
    if (seconds === undefined) this.report(path, `must be a duration such as '90s', '15m', '1h' or '7d', got ${JSON.stringify(value)}`);
    else if (seconds === 0) this.report(path, 'must be longer than zero');
    else if (seconds > MAX_DURATION_SECONDS) this.report(path, `must be at most 366d, got ${JSON.stringify(value)}`);
  }

  private fraction(value: Record<string, unknown>, path: string, field: string, required: boolean): Checked<number> {
    const number = value[field];
    if (number === undefined) return required ? this.report(pointer(path, field), 'is required: a number from 0 to 1') : undefined;
    if (typeof number !== 'number' || !(number >= 0 && number <= 1)) return this.report(pointer(path, field), `must be a number from 0 to 1, got ${describe(number)}`);
    return number;
  }

  private limit(value: Record<string, unknown>, path: string, field: string, required: boolean): Checked<number> {
    const number = value[field];
    if (number === undefined) return required ? this.report(pointer(path, field), 'is required: a number of at least 0') : undefined;
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) return this.report(pointer(path, field), `must be a number of at least 0, got ${describe(number)}`);
    return number;
  }

  private text(value: Record<string, unknown>, path: string, field: string, maxLength: number): Checked<string> {
    if (value[field] === undefined) return this.report(pointer(path, field), 'is required');
    return this.optionalText(value, path, field, maxLength);
  }

  private optionalText(value: Record<string, unknown>, path: string, field: string, maxLength: number): Checked<string> {
    const text = value[field];
    if (text === undefined) return undefined;
    const here = pointer(path, field);
    if (typeof text !== 'string') return this.report(here, `must be a string, got ${describe(text)}`);
    if (text.trim() === '') return this.report(here, 'must not be empty');
    if (text.length > maxLength) return this.report(here, `must be at most ${maxLength} characters, got ${text.length}`);
    if (!isWellFormed(text)) return this.report(here, 'must be valid Unicode (it holds a lone surrogate)');
    return text;
  }

  private list<T>(value: Record<string, unknown>, path: string, field: string, required: boolean, maxItems: number, item: (value: unknown, path: string) => Checked<T>): Checked<Checked<T>[]> {
    const items = value[field];
    const here = pointer(path, field);
    if (items === undefined) return required ? this.report(here, 'is required (it may be an empty list)') : undefined;
    if (!Array.isArray(items)) return this.report(here, `must be a list, got ${describe(items)}`);
    if (items.length > maxItems) return this.report(here, `must hold at most ${maxItems} entries, got ${items.length}`);
    return items.map((entry, index) => item(entry, pointer(here, index)));
  }

  private knownFields(value: Record<string, unknown>, path: string, fields: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!fields.includes(key)) this.report(pointer(path, key), `is not a known field; expected one of ${quoteList(fields)}`);
    }
  }

  private uniqueIds(): void {
    const seen = new Map<string, string>();
    for (const [id, path] of this.ids) {
      const first = seen.get(id);
      if (first === undefined) seen.set(id, path);
      else this.report(path, `duplicates id '${id}' of ${first}; every rule and budget needs its own id`);
    }
  }

  // Constraints travel in decisions and are hashed: only what JSON (and RFC 8785) can represent.
  private json(value: unknown, path: string): void {
    if (value === null || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) this.report(path, `must be a finite number, got ${value}`);
      return;
    }
    if (typeof value === 'string') {
      if (!isWellFormed(value)) this.report(path, 'must be valid Unicode (it holds a lone surrogate)');
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((element, index) => this.json(element, pointer(path, index)));
      return;
    }
    if (isPlainObject(value)) {
      for (const [key, element] of Object.entries(value)) {
        if (!isWellFormed(key)) this.report(pointer(path, key), 'must be valid Unicode (its key holds a lone surrogate)');
        this.json(element, pointer(path, key));
      }
      return;
    }
    this.report(path, `must be a JSON value, got ${describe(value)}`);
  }

  private report(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }
}

/** 1-based line and column of an offset into a (possibly multi-line) expression. */
const positionIn = (source: string, offset: number): { line: number; column: number } => {
  const before = source.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
};

// Not structuredClone: its objects may come from another realm, which CEL's runtime type checks would not recognize as maps.
const cloneJson = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, cloneJson(element)]));
  return value;
};

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
};

const assemble = (document: ManifestDocument, version: number | undefined, expressions: ReadonlyMap<string, ExpressionEntry>): CompiledManifest => {
  deepFreeze(document);
  const rules = document.rules.map(
    (rule, index): CompiledRule & { actionTypes: RuleDocument['actionTypes'] } => ({
      id: rule.id,
      actionTypes: rule.actionTypes,
      effect: rule.effect,
      reason: rule.reason,
      condition: expressions.get(`/rules/${index}/when`)?.evaluate,
      vetoWindowSeconds: rule.vetoWindow === undefined ? 0 : (parseDuration(rule.vetoWindow) as number),
      constraints: rule.constraints,
      minConfidence: rule.minConfidence,
    }),
  );
  const budgets = document.budgets.map(
    (budget, index): CompiledBudget & { actionTypes: BudgetDocument['actionTypes'] } => ({
      id: budget.id,
      actionTypes: budget.actionTypes,
      scope: budget.scope,
      windowSeconds: parseDuration(budget.window) as number,
      amount: (expressions.get(`/budgets/${index}/amount`) as ExpressionEntry).evaluate,
      warning: budget.warning,
      critical: budget.critical,
    }),
  );
  const planFor = (type: string | undefined): ActionPlan => {
    const covers = (entry: { actionTypes: readonly string[] }) => entry.actionTypes.includes('*') || (type !== undefined && entry.actionTypes.includes(type));
    const covering = rules.filter(covers);
    const withEffect = (effect: DecisionStatus) => covering.filter((rule) => rule.effect === effect);
    const coveringBudgets = budgets.filter(covers);
    return Object.freeze({
      deny: withEffect('DENY'),
      requireHuman: withEffect('REQUIRE_HUMAN'),
      heldForVeto: withEffect('HELD_FOR_VETO'),
      allow: withEffect('ALLOW'),
      budgets: coveringBudgets,
      usesCel: coveringBudgets.length > 0 || covering.some((rule) => rule.condition !== undefined),
    });
  };
  return Object.freeze({
    version,
    document,
    hash: manifestHash(document),
    autoCommitThreshold: document.autoCommitThreshold,
    plans: new Map(ACTION_TYPES.map((type) => [type, planFor(type)])),
    otherPlan: planFor(undefined),
    readsState: [...expressions.values()].some((expression) => expression.readsState),
  });
};
