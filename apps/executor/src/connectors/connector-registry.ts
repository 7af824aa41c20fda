import type { ActionType } from '@halm/contracts';
import type { Connector } from './connector';
import { WebhookConnector, type WebhookConnectorOptions } from './webhook/webhook.connector';

/** Each connector's settings, by connector. */
export interface ConnectorOptions {
  webhook: WebhookConnectorOptions;
}

/** Every kernel-run connector: adding one is its folder and a line here. */
const CONNECTOR_FACTORIES: ReadonlyArray<(options: ConnectorOptions) => Connector> = [
  (options) => new WebhookConnector(options.webhook),
];

/** The connector of each action type the kernel performs itself; the agent performs every other type. */
export const createConnectors = (options: ConnectorOptions): ReadonlyMap<ActionType, Connector> => {
  const connectors = new Map<ActionType, Connector>();
  for (const create of CONNECTOR_FACTORIES) {
    const connector = create(options);
    const taken = connectors.get(connector.actionType);
    if (taken) throw new Error(`connectors ${taken.name} and ${connector.name} both perform ${connector.actionType}`);
    connectors.set(connector.actionType, connector);
  }
  return connectors;
};
