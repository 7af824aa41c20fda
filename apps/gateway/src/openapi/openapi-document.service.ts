import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import type { GatewaySettings } from '../gateway.settings';
import type { DtoClass } from './dto-schemas';
import { describeGatewayApi } from './gateway-api';
import { buildOpenApiDocument, type OpenApiBuild, type OpenApiDocument } from './openapi-document';
import { discoverRoutes } from './route-discovery';

/** The gateway's version, from its package.json (beside both src/ and dist/). */
const gatewayVersion = (): string => {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
};

/**
 * Builds the OpenAPI document once, from every controller Nest registered in this gateway,
 * and logs what could not be documented (the OpenAPI test fails on the same list).
 */
@Injectable()
export class OpenApiDocumentService implements OnApplicationBootstrap {
  private built: OpenApiBuild | undefined;

  constructor(
    private readonly modules: ModulesContainer,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    for (const gap of this.build().gaps) this.logger.warn({ gap }, 'OpenAPI document gap');
  }

  build(): OpenApiBuild {
    if (!this.built) {
      const controllers = [...this.modules.values()].flatMap((module) => [...module.controllers.values()].map((wrapper) => wrapper.metatype as DtoClass | null));
      this.built = buildOpenApiDocument(
        discoverRoutes(controllers.filter((controller): controller is DtoClass => typeof controller === 'function')),
        describeGatewayApi(this.settings, gatewayVersion()),
      );
    }
    return this.built;
  }

  get document(): OpenApiDocument {
    return this.build().document;
  }
}
