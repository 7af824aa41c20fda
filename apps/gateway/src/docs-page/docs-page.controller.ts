import { Controller, Get, Inject } from '@nestjs/common';
import { SETTINGS } from '@halm/platform';
import { AssetHeaders, PageHeaders } from '../console/page-shell';
import type { GatewaySettings } from '../gateway.settings';
import { AUTHORIZE_EXAMPLES, SEED_REQUEST } from '../openapi/gateway-api';
import { OpenApiDocumentService } from '../openapi/openapi-document.service';
import { sandboxEnabled } from '../sandbox/sandbox-tenant';
import { DOCS_SCRIPT } from './docs-script';
import { DOCS_STYLES } from './docs-styles';
import { renderDocsPage } from './render-page';

const EXAMPLES = [
  ...Object.entries(AUTHORIZE_EXAMPLES).map(([id, example]) => ({ id, label: example.summary, value: example.value })),
  { id: 'bad-input', label: 'Bad input: confidence 1.5', value: { ...SEED_REQUEST, context: { confidenceScore: 1.5 } } },
];

/** `GET /docs`: the API reference and the playground, self-contained (no CDN, no external request). */
@Controller('docs')
export class DocsPageController {
  private page: string | undefined;

  constructor(
    private readonly openApi: OpenApiDocumentService,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Get()
  @PageHeaders()
  html(): string {
    this.page ??= renderDocsPage(this.openApi.document, {
      sandboxEnabled: sandboxEnabled(this.settings),
      sandboxLimits: `${this.settings.SANDBOX_RATE_LIMIT} requests per ${this.settings.SANDBOX_RATE_WINDOW_MS / 1000} s per address, bursts of ${this.settings.SANDBOX_BURST}`,
      initialRequest: SEED_REQUEST,
      examples: EXAMPLES,
    });
    return this.page;
  }

  @Get('assets/docs.js')
  @AssetHeaders('text/javascript; charset=utf-8')
  script(): string {
    return DOCS_SCRIPT;
  }

  @Get('assets/docs.css')
  @AssetHeaders('text/css; charset=utf-8')
  styles(): string {
    return DOCS_STYLES;
  }
}
