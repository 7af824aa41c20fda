import { type ASTNode, Environment } from '@marcbachmann/cel-js';

/** The CEL variables a rule's `when` and a budget's `amount` can read. */
export interface Activation {
  actionType: string;
  payload: Readonly<Record<string, unknown>>;
  justification: string;
  /** Only the fields the proposal carries; `confidenceScore` only when it is a finite number. */
  context: Readonly<{ confidenceScore?: number; sessionId?: string; agentId?: string }>;
  now: Date;
  state: CelState;
}

export interface CelState {
  lockdown: boolean;
  /** The budgets that count this action type, by id. */
  budgets: Readonly<Record<string, { used: number; warning?: number; critical: number; windowSeconds: number }>>;
}

/** A parsed and type-checked expression: call it with an activation. Throws when evaluation fails. */
export type CompiledExpression = (activation: Activation) => unknown;

export type ExpressionKind = 'condition' | 'amount';

export type ExpressionCompilation =
  | { ok: true; evaluate: CompiledExpression; readsState: boolean }
  | { ok: false; message: string; offset: number | undefined };

// `type` is a CEL built-in (the type of types), so the action type is `actionType`.
const environment = new Environment({ limits: { maxAstNodes: 2_000, maxDepth: 50 } })
  .registerVariable('actionType', 'string', { description: 'The action type of the proposal, e.g. "ledger:write"' })
  .registerVariable('payload', 'map', { description: 'The action-specific data; every JSON number is a double' })
  .registerVariable('justification', 'string', { description: 'The agent\'s justification, "" when absent' })
  .registerVariable({ name: 'context', schema: { confidenceScore: 'double', sessionId: 'string', agentId: 'string' } })
  .registerVariable('now', 'google.protobuf.Timestamp', { description: 'The time of the decision' })
  .registerVariable({ name: 'state', schema: { lockdown: 'bool', budgets: 'map' } });

const ACCEPTED_TYPES: Record<ExpressionKind, readonly string[]> = {
  condition: ['bool', 'dyn'],
  amount: ['double', 'int', 'uint', 'dyn'],
};

const EXPECTED: Record<ExpressionKind, string> = { condition: 'a bool', amount: 'a number' };

interface CelError {
  summary?: string;
  message?: string;
  range?: { start: number };
}

/** Parses and type-checks once; the result is evaluated per decision without parsing again. */
export const compileExpression = (source: string, kind: ExpressionKind): ExpressionCompilation => {
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = environment.parse(source);
  } catch (error) {
    return failure(error as CelError);
  }
  const checked = parsed.check();
  if (!checked.valid) return failure(checked.error as CelError);
  if (!ACCEPTED_TYPES[kind].includes(checked.type as string)) {
    return { ok: false, message: `must give ${EXPECTED[kind]}, gives ${checked.type}`, offset: 0 };
  }
  return { ok: true, evaluate: parsed as CompiledExpression, readsState: reads(parsed.ast, 'state') };
};

const failure = (error: CelError): ExpressionCompilation => ({
  ok: false,
  message: error.summary ?? error.message ?? String(error),
  offset: error.range?.start,
});

const reads = (node: unknown, variable: string): boolean => {
  if (Array.isArray(node)) return node.some((child) => reads(child, variable));
  if (typeof node !== 'object' || node === null || !('op' in node)) return false;
  const { op, args } = node as ASTNode;
  return op === 'id' ? args === variable : reads(args, variable);
};

/** A short, one-line description of why an expression could not be evaluated. */
export const evaluationFailure = (error: unknown): string => {
  const celError = error as CelError;
  return celError?.summary ?? celError?.message ?? String(error);
};
