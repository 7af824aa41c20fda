export * from './errors';
export * from './halm-client';
export * from './wire-types';
