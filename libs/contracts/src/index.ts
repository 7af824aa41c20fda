export * from './action-payloads';
export * from './action-types';
export * from './admin.dto';
export * from './authorize-request.dto';
export * from './decision';
export * from './ledger-event';
export * from './messages';
export * from './topology';
