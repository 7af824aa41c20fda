import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min, ValidateIf, validateSync, type ValidationError } from 'class-validator';

/** A setting that is a whole number from `min` to `max`; the message names the unit and the range. */
export const WholeNumber = (min: number, max: number, unit = ''): PropertyDecorator => {
  const message = `must be a whole number${unit ? ` of ${unit}` : ''} between ${min} and ${max}`;
  return (target, key) => {
    IsInt({ message })(target, key);
    Min(min, { message })(target, key);
    Max(max, { message })(target, key);
  };
};

/**
 * Settings every service reads at start. A field's initial value is its default for local
 * development; under NODE_ENV=production the connection settings have no default and must be given.
 */
export class ServiceSettings {
  @Matches(/^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/, { message: 'must be a nats:// URL (several separated by commas)' })
  NATS_URL = 'nats://127.0.0.1:4222';

  /** Empty for a server without authentication; each service has its own user in production. */
  @IsString()
  NATS_USER = '';

  @IsString()
  NATS_PASSWORD = '';

  @IsString()
  HOST = '127.0.0.1';

  @WholeNumber(0, 65_535)
  PORT = 0;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { message: 'must be one of fatal, error, warn, info, debug, trace' })
  LOG_LEVEL = 'info';

  /** Prefixes every stream and subject name; tests give each run its own. */
  @Matches(/^[a-z0-9-]{0,32}$/, { message: 'must be at most 32 lower-case letters, digits or dashes' })
  HALM_NAMESPACE = '';

  /** Empty: traces are kept in process (they still give logs their trace ids) and not exported. */
  @ValidateIf((settings: ServiceSettings) => settings.OTEL_EXPORTER_OTLP_ENDPOINT !== '')
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT = '';

  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(0, { message: 'must be a whole number of milliseconds' })
  SHUTDOWN_TIMEOUT_MS = 10_000;
}

export class DatabaseServiceSettings extends ServiceSettings {
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/halm';
}

/** Connection settings that production must spell out instead of falling back to loopback. */
const REQUIRED_IN_PRODUCTION = ['NATS_URL', 'DATABASE_URL'];

export class SettingsError extends Error {}

/**
 * Reads the fields `settingsClass` declares from the environment, converts them to the declared
 * types and validates them. Throws a SettingsError whose message is one line naming the setting.
 */
export const readSettings = <T extends object>(
  settingsClass: new () => T,
  environment: NodeJS.ProcessEnv,
  defaults: Partial<T> = {},
): T => {
  const template = Object.assign(new settingsClass(), defaults) as Record<string, unknown>;
  const production = environment['NODE_ENV'] === 'production';
  const plain: Record<string, unknown> = {};
  for (const [name, fallback] of Object.entries(template)) {
    const given = environment[name];
    if (given !== undefined && given !== '') {
      plain[name] = typeof fallback === 'number' ? toNumber(given) : given;
    } else if (production && REQUIRED_IN_PRODUCTION.includes(name)) {
      throw new SettingsError(`missing setting ${name}: it must be set when NODE_ENV=production`);
    } else {
      plain[name] = fallback;
    }
  }
  const settings = plainToInstance(settingsClass, plain);
  const errors = validateSync(settings, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0] as ValidationError;
    const constraint = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    const shown = environment[first.property];
    const reason = constraint.replace(new RegExp(`^${first.property} `), '');
    if (shown === undefined || shown === '') throw new SettingsError(`missing setting ${first.property}: ${reason}`);
    throw new SettingsError(`invalid setting ${first.property}=${JSON.stringify(shown)}: ${reason}`);
  }
  return settings;
};

const toNumber = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text);

/** Reads settings or ends the process with one line naming the bad setting and exit code 78 (EX_CONFIG). */
export const loadSettingsOrExit = <T extends object>(service: string, settingsClass: new () => T, defaults: Partial<T> = {}): T => {
  try {
    return readSettings(settingsClass, process.env, defaults);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
};
