export * from './api-keys';
export * from './data-source';
export * from './entities/api-key.entity';
export * from './entities/tenant.entity';
export * from './persistence.module';
