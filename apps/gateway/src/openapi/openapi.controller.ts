import { Controller, Get, Header } from '@nestjs/common';
import type { OpenApiDocument } from './openapi-document';
import { OpenApiDocumentService } from './openapi-document.service';

@Controller('api')
export class OpenApiController {
  constructor(private readonly openApi: OpenApiDocumentService) {}

  /** The OpenAPI 3.1 document of this gateway's HTTP API, generated from its code at start. */
  @Get('openapi.json')
  @Header('cache-control', 'no-cache')
  document(): OpenApiDocument {
    return this.openApi.document;
  }
}
