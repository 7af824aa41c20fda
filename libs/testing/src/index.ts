export * from './resources';
export * from './service-processes';
