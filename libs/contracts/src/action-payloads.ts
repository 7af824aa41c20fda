import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';
import type { ActionType } from './action-types';

const Optional = () => ValidateIf((_object, value) => value !== undefined);
const Required = (field: string) => IsDefined({ message: `${field} is required` });
const Text = (max = 1_000) => [MaxLength(max), MinLength(1, { message: 'must not be empty' }), IsString()];
const apply = (...decorators: PropertyDecorator[]): PropertyDecorator => (target, key) => decorators.forEach((decorate) => decorate(target, key));

/** `ledger:write`: a financial transaction or balance change. */
export class LedgerWritePayload {
  @Required('amount')
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'amount must be a finite number' })
  amount!: number;

  @Required('recipient')
  @apply(...Text(256))
  recipient!: string;

  @Optional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as EUR' })
  currency?: string;

  @Optional()
  @apply(...Text(1_000))
  memo?: string;
}

/** `vault:write`: storing, rotating or deleting a secret. The secret itself never goes through Halm. */
export class VaultWritePayload {
  @Required('path')
  @apply(...Text(512))
  path!: string;

  @Required('operation')
  @IsIn(['create', 'update', 'rotate', 'delete'], { message: 'operation must be one of: create, update, rotate, delete' })
  operation!: string;
}

/** `policy:update`: publish a new manifest version, or activate a published one. */
export class PolicyUpdatePayloadDto {
  @Required('operation')
  @IsIn(['publish', 'activate'], { message: 'operation must be publish or activate' })
  operation!: 'publish' | 'activate';

  @ValidateIf((payload: PolicyUpdatePayloadDto) => payload.operation === 'publish')
  @IsObject({ message: 'manifest must be the manifest document (an object) when publishing' })
  manifest?: Record<string, unknown>;

  @ValidateIf((payload: PolicyUpdatePayloadDto) => payload.operation === 'activate')
  @Min(1, { message: 'version must be a published version number' })
  @IsInt({ message: 'version must be a published version number' })
  version?: number;

  @ValidateIf((payload: PolicyUpdatePayloadDto) => payload.operation === 'activate' || payload.hash !== undefined)
  @Matches(/^[0-9a-f]{64}$/, { message: 'hash must be the SHA-256 (hex) of the manifest' })
  hash?: string;
}

/** `dialogue:commit`: a binding commitment made in a conversation. */
export class DialogueCommitPayload {
  @Required('commitment')
  @apply(...Text(4_000))
  commitment!: string;

  @Optional()
  @apply(...Text(256))
  counterparty?: string;
}

/** `voice:respond`: what a voice agent is about to say. */
export class VoiceRespondPayload {
  @Required('text')
  @apply(...Text(4_000))
  text!: string;

  @Optional()
  @apply(...Text(64))
  locale?: string;
}

/** `webhook:send`: an outbound HTTP notification. */
export class WebhookSendPayload {
  @Required('url')
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'url must be an http(s) URL' })
  url!: string;

  @Optional()
  @IsObject({ message: 'headers must be an object of strings' })
  headers?: Record<string, string>;

  @Optional()
  @apply(...Text(256))
  event?: string;

  // Any JSON value; its size is bounded by the request body limit.
  body?: unknown;
}

/** `task:create`: a new task or workflow. */
export class TaskCreatePayload {
  @Required('title')
  @apply(...Text(512))
  title!: string;

  @Optional()
  @apply(...Text(256))
  assignee?: string;

  @Optional()
  @IsISO8601({ strict: true }, { message: 'dueAt must be an ISO 8601 time' })
  dueAt?: string;
}

/** `session:write`: a change to session state. */
export class SessionWritePayload {
  @Required('key')
  @apply(...Text(256))
  key!: string;

  // Only a missing value is an error: null is the value that clears the key.
  @ValidateIf((payload: SessionWritePayload) => payload.value === undefined)
  @IsDefined({ message: 'value is required (null to clear)' })
  value!: unknown;
}

/** `recalibrate:propose`: a proposed change to a model's calibration. */
export class RecalibrateProposePayload {
  @Required('model')
  @apply(...Text(256))
  model!: string;

  @Required('parameters')
  @IsObject({ message: 'parameters must be an object' })
  parameters!: Record<string, unknown>;

  @Optional()
  @apply(...Text(2_000))
  rationale?: string;
}

/** The payload each action type must carry. */
export const PAYLOAD_CLASSES: Record<ActionType, new () => object> = {
  'ledger:write': LedgerWritePayload,
  'vault:write': VaultWritePayload,
  'policy:update': PolicyUpdatePayloadDto,
  'dialogue:commit': DialogueCommitPayload,
  'voice:respond': VoiceRespondPayload,
  'webhook:send': WebhookSendPayload,
  'task:create': TaskCreatePayload,
  'session:write': SessionWritePayload,
  'recalibrate:propose': RecalibrateProposePayload,
};

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
// MinLength(1) and MaxLength count what validator.js counts: never more than the UTF-16 length,
// and at least 1 for any string of UTF-16 length 1 or more.
const text =
  (max: number) =>
  (value: unknown): boolean =>
    typeof value === 'string' && value.length >= 1 && value.length <= max;
const optional =
  (rule: (value: unknown) => boolean) =>
  (value: unknown): boolean =>
    value === undefined || rule(value);

/**
 * The rules of the payloads whose decorators are simple enough to restate by hand. A payload
 * these accept passes the decorators too (a property test holds them to it); whatever they
 * refuse, valid or not, goes through class-validator, which words the problems. Payloads with
 * a rule not restated here (a URL, an ISO 8601 time, a manifest) always take class-validator.
 */
const QUICK_RULES: Partial<Record<ActionType, Record<string, (value: unknown) => boolean>>> = {
  'ledger:write': {
    amount: (value) => typeof value === 'number' && Number.isFinite(value),
    recipient: text(256),
    currency: optional((value) => typeof value === 'string' && /^[A-Z]{3}$/.test(value)),
    memo: optional(text(1_000)),
  },
  'vault:write': { path: text(512), operation: (value) => value === 'create' || value === 'update' || value === 'rotate' || value === 'delete' },
  'dialogue:commit': { commitment: text(4_000), counterparty: optional(text(256)) },
  'voice:respond': { text: text(4_000), locale: optional(text(64)) },
  'task:create': { title: text(512), assignee: optional(text(256)), dueAt: (value) => value === undefined },
  'session:write': { key: text(256), value: (value) => value !== undefined },
  'recalibrate:propose': { model: text(256), parameters: isObject, rationale: optional(text(2_000)) },
};

/** True only for a payload of `type` that its decorators accept; false when unsure. A microsecond instead of tens. */
export const quickPayloadCheck = (type: ActionType, payload: Record<string, unknown>): boolean => {
  const rules = QUICK_RULES[type];
  if (!rules) return false;
  for (const field in rules) if (!rules[field]!(payload[field])) return false;
  return true;
};

/** Each bad payload field, named by its path in the request (`payload.amount`) with the first rule it broke. */
export const payloadProblems = (type: ActionType, payload: Record<string, unknown>): { name: string; reason: string }[] =>
  quickPayloadCheck(type, payload) ? [] : payloadRuleProblems(type, payload);

/** `payloadProblems` by class-validator alone. */
export const payloadRuleProblems = (type: ActionType, payload: Record<string, unknown>): { name: string; reason: string }[] => {
  const instance = plainToInstance(PAYLOAD_CLASSES[type], payload);
  const errors = validateSync(instance, { stopAtFirstError: true, forbidUnknownValues: false, validationError: { target: false, value: false } });
  const flatten = (list: ValidationError[], prefix: string): { name: string; reason: string }[] =>
    list.flatMap((error) => [
      ...Object.values(error.constraints ?? {}).map((message) => ({ name: `${prefix}.${error.property}`, reason: message.replace(new RegExp(`^${error.property} `), '') })),
      ...flatten(error.children ?? [], `${prefix}.${error.property}`),
    ]);
  return flatten(errors, 'payload');
};
