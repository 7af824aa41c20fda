import { Controller, Get, Header } from '@nestjs/common';
import { PAGE_POLICY } from '../console/page-shell';
import { renderTransparencyPage } from './render-transparency-page';
import { TRANSPARENCY_SCRIPT } from './transparency-script';
import { TRANSPARENCY_STYLES } from './transparency-styles';

/** `GET /transparency`: the public disclosure page, self-contained like /docs. */
@Controller('transparency')
export class TransparencyPageController {
  private readonly page = renderTransparencyPage();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', PAGE_POLICY)
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('cache-control', 'no-cache')
  html(): string {
    return this.page;
  }

  @Get('assets/transparency.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  script(): string {
    return TRANSPARENCY_SCRIPT;
  }

  @Get('assets/transparency.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  styles(): string {
    return TRANSPARENCY_STYLES;
  }
}
