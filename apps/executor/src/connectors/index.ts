export * from './connector';
export * from './connector-registry';
export * from './webhook/webhook.connector';
export * from './webhook/webhook-signature';
