export type { Dependency, EnsureOptions } from './dependency';
export { ensureChromium } from './chromium';
export { ensureNats } from './nats-server';
export { ensurePostgres } from './postgres';
export { ensurePythonRequests } from './python';
