import { DatabaseServiceSettings, readSettings, ServiceSettings, SettingsError } from './settings';

const failureOf = (read: () => unknown): SettingsError => {
  try {
    read();
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('expected readSettings to throw a SettingsError');
};

const production = { NODE_ENV: 'production', NATS_URL: 'nats://nats.internal:4222', DATABASE_URL: 'postgres://halm@db.internal:5432/halm' };

describe('readSettings', () => {
  it('applies the development defaults to an empty environment', () => {
    const settings = readSettings(ServiceSettings, {});

    expect(settings).toBeInstanceOf(ServiceSettings);
    expect({ ...settings }).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_USER: '',
      NATS_PASSWORD: '',
      HOST: '127.0.0.1',
      PORT: 0,
      LOG_LEVEL: 'info',
      HALM_NAMESPACE: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      SHUTDOWN_TIMEOUT_MS: 10_000,
    });
  });

  it('treats an empty variable as not set', () => {
    expect(readSettings(ServiceSettings, { PORT: '', LOG_LEVEL: '' })).toMatchObject({ PORT: 0, LOG_LEVEL: 'info' });
  });

  it('lets a service give its own defaults, which the environment overrides', () => {
    expect(readSettings(ServiceSettings, {}, { PORT: 3000 }).PORT).toBe(3000);
    expect(readSettings(ServiceSettings, { PORT: '8080' }, { PORT: 3000 }).PORT).toBe(8080);
  });

  it('converts numeric settings to numbers', () => {
    const settings = readSettings(ServiceSettings, { PORT: '8080', SHUTDOWN_TIMEOUT_MS: '2500' });

    expect(settings.PORT).toBe(8080);
    expect(settings.SHUTDOWN_TIMEOUT_MS).toBe(2500);
  });

  it('takes string settings as given', () => {
    const settings = readSettings(ServiceSettings, {
      NATS_URL: 'nats://a:4222,tls://b:4222',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      HALM_NAMESPACE: 'run-42',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });

    expect(settings).toMatchObject({
      NATS_URL: 'nats://a:4222,tls://b:4222',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      HALM_NAMESPACE: 'run-42',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
  });

  it('ignores variables the settings class does not declare', () => {
    expect(readSettings(ServiceSettings, { SOMETHING_ELSE: 'x' })).not.toHaveProperty('SOMETHING_ELSE');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon'],
    ['SHUTDOWN_TIMEOUT_MS', '-5'],
    ['NATS_URL', 'http://x'],
    ['NATS_URL', 'nats://a:4222, nats://b:4222'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['HALM_NAMESPACE', 'UPPER'],
    ['HALM_NAMESPACE', 'has.dot'],
    ['HALM_NAMESPACE', 'a'.repeat(33)],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ])('rejects %s=%p with one line naming the setting and showing the value', (name, value) => {
    const error = failureOf(() => readSettings(ServiceSettings, { [name]: value }));

    expect(error.message).not.toContain('\n');
    expect(error.message).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it('says what a bad setting must be', () => {
    const error = failureOf(() => readSettings(ServiceSettings, { PORT: '70000' }));

    expect(error.message).toBe('invalid setting PORT="70000": must be a whole number between 0 and 65535');
  });

  it('keeps the message on one line when the bad value holds a line break', () => {
    const error = failureOf(() => readSettings(ServiceSettings, { LOG_LEVEL: 'info\nwarn' }));

    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('LOG_LEVEL="info\\nwarn"');
  });

  it('rejects a malformed DATABASE_URL for a service with a database', () => {
    const error = failureOf(() => readSettings(DatabaseServiceSettings, { DATABASE_URL: 'mysql://db/halm' }));

    expect(error.message).toContain('DATABASE_URL="mysql://db/halm"');
  });

  it('allows an empty OTLP endpoint, which keeps traces in process', () => {
    expect(readSettings(ServiceSettings, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('');
  });

  it('accepts an https OTLP endpoint', () => {
    expect(readSettings(ServiceSettings, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/v1' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      'https://otel.example.com/v1',
    );
  });

  describe('with NODE_ENV=production', () => {
    it('reads a complete environment', () => {
      expect(readSettings(DatabaseServiceSettings, production)).toMatchObject({ NATS_URL: production.NATS_URL, DATABASE_URL: production.DATABASE_URL });
    });

    it.each([['NATS_URL'], ['DATABASE_URL']])('refuses to fall back to a loopback default for a missing %s', (name) => {
      const environment: Record<string, string> = { ...production };
      delete environment[name];

      const error = failureOf(() => readSettings(DatabaseServiceSettings, environment));

      expect(error.message).toContain(name);
      expect(error.message).not.toContain('\n');
    });

    it('treats an empty NATS_URL as missing', () => {
      expect(failureOf(() => readSettings(ServiceSettings, { ...production, NATS_URL: '' })).message).toContain('NATS_URL');
    });

    it('does not ask for a DATABASE_URL from a service without a database', () => {
      const { DATABASE_URL: _unused, ...withoutDatabase } = production;

      expect(readSettings(ServiceSettings, withoutDatabase).NATS_URL).toBe(production.NATS_URL);
    });

    it('still applies the defaults of settings that are not connections', () => {
      expect(readSettings(ServiceSettings, production)).toMatchObject({ PORT: 0, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: 10_000 });
    });
  });
});
