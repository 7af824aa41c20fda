import { Controller, Get } from '@nestjs/common';
import { CONSOLE_SCRIPT } from './console-script';
import { CONSOLE_STYLES } from './console-styles';
import { AssetHeaders, PageHeaders } from './page-shell';
import { renderConsolePage } from './render-console-page';

/** `GET /console`: the operations console, self-contained like /docs; everything it shows comes from the JSON API with the signed-in key. */
@Controller('console')
export class ConsolePageController {
  private readonly page = renderConsolePage();

  @Get()
  @PageHeaders()
  html(): string {
    return this.page;
  }

  @Get('assets/console.js')
  @AssetHeaders('text/javascript; charset=utf-8')
  script(): string {
    return CONSOLE_SCRIPT;
  }

  @Get('assets/console.css')
  @AssetHeaders('text/css; charset=utf-8')
  styles(): string {
    return CONSOLE_STYLES;
  }
}
