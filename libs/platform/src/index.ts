export * from './health';
export * from './logger';
export * from './metrics';
export * from './problem-details';
export * from './service';
export * from './settings';
export * from './tracing';
export * from './validation.pipe';
