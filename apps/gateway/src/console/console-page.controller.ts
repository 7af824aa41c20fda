import { Controller, Get, Header } from '@nestjs/common';
import { CONSOLE_SCRIPT } from './console-script';
import { CONSOLE_STYLES } from './console-styles';
import { PAGE_POLICY } from './page-shell';
import { renderConsolePage } from './render-console-page';

/** `GET /console`: the operations console, self-contained like /docs; everything it shows comes from the JSON API with the signed-in key. */
@Controller('console')
export class ConsolePageController {
  private readonly page = renderConsolePage();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', PAGE_POLICY)
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('cache-control', 'no-cache')
  html(): string {
    return this.page;
  }

  @Get('assets/console.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  script(): string {
    return CONSOLE_SCRIPT;
  }

  @Get('assets/console.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  styles(): string {
    return CONSOLE_STYLES;
  }
}
