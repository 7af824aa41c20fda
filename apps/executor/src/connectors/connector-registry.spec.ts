import { createConnectors } from './connector-registry';
import { WebhookConnector } from './webhook/webhook.connector';

const OPTIONS = { webhook: { signingSecret: 'whsec-test-0123456789abcdef0123456789', timeoutMs: 5_000, maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 5_000 } };

describe('createConnectors', () => {
  it('gives webhook:send to the webhook connector and no other type a connector', () => {
    const connectors = createConnectors(OPTIONS);

    expect([...connectors.keys()]).toEqual(['webhook:send']);
    expect(connectors.get('webhook:send')).toBeInstanceOf(WebhookConnector);
    expect(connectors.get('ledger:write')).toBeUndefined();
  });

  it("refuses to start with a connector's invalid settings", () => {
    expect(() => createConnectors({ webhook: { ...OPTIONS.webhook, signingSecret: '' } })).toThrow(/signingSecret/);
  });
});
