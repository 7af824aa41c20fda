export * from './resources';
export * from './service-processes';
export * from './openapi';
