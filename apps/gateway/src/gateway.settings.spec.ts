import { readSettings } from '@halm/platform';
import { newSigningKey } from '@halm/testing';
import { GatewaySettings } from './gateway.settings';

// Every gateway needs its token signing key; these tests are about the other settings.
const KEY = { EXECUTION_TOKEN_SIGNING_KEY: newSigningKey() };

describe('GatewaySettings: the sandbox', () => {
  it('has the sandbox on, 10 requests per 10 s in bursts of 10, by default', () => {
    expect(readSettings(GatewaySettings, KEY)).toMatchObject({ SANDBOX_ENABLED: 'true', SANDBOX_RATE_LIMIT: 10, SANDBOX_RATE_WINDOW_MS: 10_000, SANDBOX_BURST: 10 });
  });

  it('reads the settings from the environment', () => {
    const settings = readSettings(GatewaySettings, { ...KEY, SANDBOX_ENABLED: 'false', SANDBOX_RATE_LIMIT: '60', SANDBOX_RATE_WINDOW_MS: '60000', SANDBOX_BURST: '20' });

    expect(settings).toMatchObject({ SANDBOX_ENABLED: 'false', SANDBOX_RATE_LIMIT: 60, SANDBOX_RATE_WINDOW_MS: 60_000, SANDBOX_BURST: 20 });
  });

  it.each([
    ['SANDBOX_ENABLED', 'yes', 'must be true or false'],
    ['SANDBOX_RATE_LIMIT', '0', 'between 1 and 100000'],
    ['SANDBOX_RATE_LIMIT', 'ten', 'between 1 and 100000'],
    ['SANDBOX_RATE_WINDOW_MS', '50', 'between 100 and 86400000'],
    ['SANDBOX_BURST', '1.5', 'between 1 and 100000'],
  ])('refuses %s=%s naming it', (name, value, reason) => {
    expect(() => readSettings(GatewaySettings, { ...KEY, [name]: value })).toThrow(`invalid setting ${name}=${JSON.stringify(value)}: must be`);
    expect(() => readSettings(GatewaySettings, { ...KEY, [name]: value })).toThrow(reason);
  });
});
