import { Controller, Get } from '@nestjs/common';
import { AssetHeaders, PageHeaders } from '../console/page-shell';
import { renderTransparencyPage } from './render-transparency-page';
import { TRANSPARENCY_SCRIPT } from './transparency-script';
import { TRANSPARENCY_STYLES } from './transparency-styles';

/** `GET /transparency`: the public disclosure page, self-contained like /docs. */
@Controller('transparency')
export class TransparencyPageController {
  private readonly page = renderTransparencyPage();

  @Get()
  @PageHeaders()
  html(): string {
    return this.page;
  }

  @Get('assets/transparency.js')
  @AssetHeaders('text/javascript; charset=utf-8')
  script(): string {
    return TRANSPARENCY_SCRIPT;
  }

  @Get('assets/transparency.css')
  @AssetHeaders('text/css; charset=utf-8')
  styles(): string {
    return TRANSPARENCY_STYLES;
  }
}
