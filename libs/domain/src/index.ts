export * from './ledger/canonical-json';
export * from './ledger/hash-chain';
export * from './policy/evaluate';
export * from './policy/manifest';
