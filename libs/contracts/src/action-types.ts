/** The nine kinds of side effect an agent can ask Halm about, exactly as the quickstart lists them. */
export const ACTION_TYPES = [
  'ledger:write',
  'vault:write',
  'policy:update',
  'dialogue:commit',
  'voice:respond',
  'webhook:send',
  'task:create',
  'session:write',
  'recalibrate:propose',
] as const;

export type ActionType = (typeof ACTION_TYPES)[number];

export const isActionType = (value: unknown): value is ActionType =>
  typeof value === 'string' && (ACTION_TYPES as readonly string[]).includes(value);
