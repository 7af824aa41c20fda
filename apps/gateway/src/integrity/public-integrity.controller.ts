import { Controller, Get, Header } from '@nestjs/common';
import { PUBLIC_CACHE_MS, PublicIntegrity, type PublicIntegrityView, type PublicInvariantsView } from './public-integrity';

const CACHE_CONTROL = `public, max-age=${PUBLIC_CACHE_MS / 1000}`;

/** The transparency page's live status: no key, no tenant, anyone may ask (`curl …/api/public/integrity`). */
@Controller('api/public')
export class PublicIntegrityController {
  constructor(private readonly status: PublicIntegrity) {}

  @Get('integrity')
  @Header('Cache-Control', CACHE_CONTROL)
  @Header('Access-Control-Allow-Origin', '*')
  integrity(): Promise<PublicIntegrityView> {
    return this.status.integrity();
  }

  @Get('invariants')
  @Header('Cache-Control', CACHE_CONTROL)
  @Header('Access-Control-Allow-Origin', '*')
  invariants(): Promise<PublicInvariantsView> {
    return this.status.invariants();
  }
}
