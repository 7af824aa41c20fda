import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { TenantDirectory, type Principal } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import type { GatewaySettings } from '../gateway.settings';

/** The public playground's tenant: a fixed id, so every gateway instance finds the same one. */
export const SANDBOX_TENANT_ID = 'sandbox';

/** Who a sandbox request acts as: no key, the agent role, the sandbox tenant. */
export const SANDBOX_PRINCIPAL: Principal = { keyId: 'sandbox', tenantId: SANDBOX_TENANT_ID, roles: ['agent'] };

export const sandboxEnabled = (settings: GatewaySettings): boolean => settings.SANDBOX_ENABLED === 'true';

/**
 * Creates the sandbox tenant at start when it is missing. Idempotent across instances
 * (INSERT … ON CONFLICT DO NOTHING); when the database refuses at start (e.g. migrations not
 * yet applied) the first sandbox request tries again instead of the gateway failing to start.
 */
@Injectable()
export class SandboxTenant implements OnApplicationBootstrap {
  private ensured: Promise<void> | undefined;

  constructor(
    private readonly directory: TenantDirectory,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!sandboxEnabled(this.settings)) return;
    await this.ready().catch((error: unknown) => this.logger.warn({ err: error }, 'sandbox tenant not created yet; the first sandbox request will try again'));
  }

  ready(): Promise<void> {
    this.ensured ??= this.directory.ensureTenant(SANDBOX_TENANT_ID, 'Sandbox (public playground)').then(
      () => this.logger.info({ tenantId: SANDBOX_TENANT_ID }, 'sandbox tenant ready'),
      (error: unknown) => {
        this.ensured = undefined;
        throw error;
      },
    );
    return this.ensured;
  }
}
