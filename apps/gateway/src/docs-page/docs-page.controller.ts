import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SETTINGS } from '@halm/platform';
import type { GatewaySettings } from '../gateway.settings';
import { AUTHORIZE_EXAMPLES, SEED_REQUEST } from '../openapi/gateway-api';
import { OpenApiDocumentService } from '../openapi/openapi-document.service';
import { sandboxEnabled } from '../sandbox/sandbox-tenant';
import { DOCS_SCRIPT } from './docs-script';
import { DOCS_STYLES } from './docs-styles';
import { renderDocsPage } from './render-page';

/** Only this gateway's own script and styles, fetches only to this gateway, no framing. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', PAGE_POLICY)
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('cache-control', 'no-cache')
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
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  script(): string {
    return DOCS_SCRIPT;
  }

  @Get('assets/docs.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  styles(): string {
    return DOCS_STYLES;
  }
}
