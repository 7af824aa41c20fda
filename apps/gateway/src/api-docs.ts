import { DocsPageController } from './docs-page/docs-page.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiDocumentService } from './openapi/openapi-document.service';
import { SandboxController } from './sandbox/sandbox.controller';
import { SandboxTenant } from './sandbox/sandbox-tenant';
import { SandboxGuard } from './sandbox/sandbox.guard';

/** The OpenAPI document, the docs page with its playground, and the sandbox behind it. */
export const API_DOCS_CONTROLLERS = [OpenApiController, DocsPageController, SandboxController];
export const API_DOCS_PROVIDERS = [OpenApiDocumentService, SandboxTenant, SandboxGuard];
