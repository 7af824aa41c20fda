export * from './jetstream-consumer';
export * from './ledger-reader';
export * from './ledger-store';
export * from './lockdown-state';
export * from './nats-headers';
export * from './nats.module';
export * from './request-server';
export * from './rpc';
