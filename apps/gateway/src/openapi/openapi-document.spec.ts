import 'reflect-metadata';
import { Body, Controller, Delete, Get, HttpCode, Injectable, Param, ParseIntPipe, Post, Query, Res, UseGuards, type CanActivate } from '@nestjs/common';
import { AuthorizeRequestDto, IssueKeyDto } from '@halm/contracts';
import { ArrayUnique, IsArray, IsDefined, IsInt, IsOptional, IsString, Matches, Min, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { RequireRoles } from '../api-key.guard';
import { DtoSchemas } from './dto-schemas';
import { buildOpenApiDocument, openApiPath, type ApiDescription } from './openapi-document';
import { discoverRoutes } from './route-discovery';

class InnerDto {
  @IsInt()
  @Min(1)
  count!: number;
}

class SampleDto {
  @IsDefined()
  @Matches(/^[a-z]+$/)
  @IsString()
  name!: string;

  @IsOptional()
  @IsString()
  nickname?: string | null;

  @ValidateIf((_object, value) => value !== undefined)
  @ValidateNested()
  inner?: InnerDto;

  @ArrayUnique()
  @IsString({ each: true })
  @IsArray()
  tags!: string[];
}

class CustomRuleDto {
  @ValidateBy({ name: 'isPalindrome', validator: { validate: (value: unknown) => typeof value === 'string' && [...value].reverse().join('') === value } })
  word!: string;
}

describe('DtoSchemas: JSON Schema from class-validator rules', () => {
  it('turns the authorize request into the schema the validation pipe enforces', () => {
    const schemas = new DtoSchemas();

    expect(schemas.ref(AuthorizeRequestDto)).toEqual({ $ref: '#/components/schemas/AuthorizeRequest' });
    expect(schemas.components['AuthorizeRequest']).toEqual({
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['ledger:write', 'vault:write', 'policy:update', 'dialogue:commit', 'voice:respond', 'webhook:send', 'task:create', 'session:write', 'recalibrate:propose'] },
        payload: { type: 'object' },
        justification: { type: 'string', maxLength: 4096 },
        context: { $ref: '#/components/schemas/AuthorizeContext' },
      },
      required: ['type', 'payload'],
    });
    expect(schemas.components['AuthorizeContext']).toEqual({
      type: 'object',
      properties: {
        confidenceScore: { type: 'number', minimum: 0, maximum: 1 },
        sessionId: { type: 'string', maxLength: 256 },
        agentId: { type: 'string', maxLength: 256 },
      },
    });
    expect(schemas.gaps).toEqual([]);
  });

  it('reads required, optional-but-not-null, nullable, nested, pattern and array rules', () => {
    const schemas = new DtoSchemas({ descriptions: { Sample: { name: 'Who.' } } });
    schemas.ref(SampleDto);

    expect(schemas.components['Sample']).toEqual({
      type: 'object',
      properties: {
        name: { description: 'Who.', type: 'string', pattern: '^[a-z]+$' },
        nickname: { type: ['string', 'null'] },
        inner: { $ref: '#/components/schemas/Inner' },
        tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
      },
      required: ['name', 'tags'],
    });
    expect(schemas.components['Inner']).toEqual({ type: 'object', properties: { count: { type: 'integer', minimum: 1 } }, required: ['count'] });
  });

  it('reads array rules applied to each item', () => {
    const schemas = new DtoSchemas();
    schemas.ref(IssueKeyDto);

    expect(schemas.components['IssueKey']!['properties']).toMatchObject({
      roles: { type: 'array', items: { type: 'string', enum: ['agent', 'approver', 'admin', 'auditor'] }, minItems: 1, uniqueItems: true },
    });
  });

  it('reports a rule it cannot express instead of documenting less than the server checks', () => {
    const schemas = new DtoSchemas();
    schemas.ref(CustomRuleDto);

    expect(schemas.gaps).toEqual([expect.stringContaining("CustomRule.word: no JSON Schema mapping for the class-validator rule 'isPalindrome'")]);
    const mapped = new DtoSchemas({ customRules: { isPalindrome: () => ({ type: 'string' }) } });
    mapped.ref(CustomRuleDto);
    expect(mapped.gaps).toEqual([]);
  });
});

@Injectable()
class KeyGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class UnknownGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

class PageQuery {
  @ValidateIf((_object, value) => value !== undefined)
  @IsInt()
  @Min(1)
  limit?: number;
}

@Controller('api/things')
@UseGuards(KeyGuard)
@RequireRoles('admin')
class ThingsController {
  @Post()
  create(@Body() _body: SampleDto) {}

  @Get(':thingId')
  @RequireRoles('auditor')
  read(@Param('thingId') _thingId: string, @Query() _query: PageQuery) {}

  @Delete(':thingId')
  @HttpCode(204)
  @UseGuards(UnknownGuard)
  remove(@Param('thingId') _thingId: string) {}
}

@Controller()
class RootController {
  @Get('status')
  status(@Res() _reply: unknown) {}

  @Get('undocumented')
  undocumented() {}
}

const description = (routes: ApiDescription['routes']): ApiDescription => ({
  info: { title: 'T', version: '1' },
  tags: [{ name: 'Things', description: 'Things.' }],
  routes,
  guards: new Map([[KeyGuard, { security: [{ apiKey: [] }], responses: { 401: 'Unauthorized' } }]]),
  responses: { Unauthorized: { description: 'No key.' }, InvalidRequest: { description: 'Bad.' }, ContentTooLarge: { description: 'Big.' } },
  schemas: {},
  securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
  bodyResponses: { 400: 'InvalidRequest', 413: 'ContentTooLarge' },
  invalidRequestResponse: 'InvalidRequest',
});

describe('discoverRoutes and buildOpenApiDocument', () => {
  const routes = discoverRoutes([ThingsController, RootController]);

  it('reads routes from the same decorator metadata as Nest', () => {
    expect(routes.map((route) => `${route.method} ${route.path} ${route.successStatus} ${route.roles.join(',')}`).sort()).toEqual([
      'DELETE /api/things/:thingId 204 admin',
      'GET /api/things/:thingId 200 auditor',
      'GET /status 200 ',
      'GET /undocumented 200 ',
      'POST /api/things 201 admin',
    ]);
    const create = routes.find((route) => route.method === 'POST')!;
    expect(create.body?.type).toBe(SampleDto);
    expect(create.guards).toEqual([KeyGuard]);
    expect(routes.find((route) => route.path === '/status')!.writesReply).toBe(true);
  });

  it('derives bodies, parameters, success statuses, security and guard responses', () => {
    const { document } = buildOpenApiDocument(
      routes,
      description({
        'POST /api/things': { operationId: 'createThing', summary: 'Create', tags: ['Things'], success: { description: 'Created.' } },
        'GET /api/things/:thingId': {
          operationId: 'readThing',
          summary: 'Read',
          tags: ['Things'],
          parameters: { thingId: { description: 'The id.' }, limit: { description: 'How many.' } },
          success: { description: 'The thing.' },
        },
      }),
    );

    const create = document.paths['/api/things']!['post']!;
    expect(create['requestBody']).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Sample' } } } });
    expect(Object.keys(create['responses'] as object)).toEqual(['201', '400', '401', '413']);
    expect(create['security']).toEqual([{ apiKey: [] }]);
    expect(create['x-required-roles']).toEqual(['admin']);
    expect(create['description']).toBe('Needs an API key with the role `admin`.');
    const read = document.paths['/api/things/{thingId}']!['get']!;
    expect(read['parameters']).toEqual([
      { name: 'thingId', in: 'path', required: true, description: 'The id.', schema: { type: 'string' } },
      { name: 'limit', in: 'query', required: false, description: 'How many.', schema: { type: 'integer', minimum: 1 } },
    ]);
    expect(document.components.schemas['Sample']).toBeDefined();
    expect(document.components.schemas['PageQuery']).toBeUndefined();
  });

  it('lists every gap: undocumented routes, guards without documentation, documented routes that do not exist', () => {
    const { document, gaps } = buildOpenApiDocument(routes, description({ 'GET /gone': { operationId: 'gone', summary: 'Gone', tags: [], success: { description: 'x' } } }));

    expect(gaps).toEqual(
      expect.arrayContaining([
        expect.stringContaining('GET /undocumented (RootController.undocumented) has no entry'),
        expect.stringContaining('DELETE /api/things/:thingId: guard UnknownGuard has no documentation'),
        'GET /gone is documented but no such route is registered',
      ]),
    );
    // Undocumented routes are still in the document.
    expect(document.paths['/undocumented']!['get']).toMatchObject({ summary: 'Undocumented', responses: { 200: { description: 'Undocumented' } } });
  });

  it('catches a documented success status that the code does not answer', () => {
    const { gaps } = buildOpenApiDocument(
      routes.filter((route) => route.method === 'DELETE'),
      description({ 'DELETE /api/things/:thingId': { operationId: 'remove', summary: 'Remove', tags: [], parameters: { thingId: { description: 'Id.' } }, success: { status: 200, description: 'Gone.' } } }),
    );

    expect(gaps).toContain('DELETE /api/things/:thingId: documented success status 200 but the code answers 204');
  });

  it('documents a path parameter parsed by ParseIntPipe as an integer', () => {
    @Controller('api/versions')
    class VersionsController {
      @Get(':from/diff/:to')
      diff(@Param('from', ParseIntPipe) _from: number, @Param('to', new ParseIntPipe()) _to: number) {}

      @Post(':version')
      touch(@Param('version') _version: number, @Body() _body: SampleDto) {}
    }
    const parameters = { from: { description: 'From.' }, to: { description: 'To.' }, version: { description: 'Version.' } };

    const { document } = buildOpenApiDocument(
      discoverRoutes([VersionsController]),
      description({
        'GET /api/versions/:from/diff/:to': { operationId: 'diff', summary: 'Diff', tags: [], parameters, success: { description: 'x' } },
        'POST /api/versions/:version': { operationId: 'touch', summary: 'Touch', tags: [], parameters, success: { description: 'x' } },
      }),
    );

    const schemaOf = (operation: Record<string, unknown> | undefined) => (operation?.['parameters'] as { name: string; schema: unknown }[]).map(({ name, schema }) => [name, schema]);
    expect(schemaOf(document.paths['/api/versions/{from}/diff/{to}']?.['get'])).toEqual([
      ['from', { type: 'integer' }],
      ['to', { type: 'integer' }],
    ]);
    expect(schemaOf(document.paths['/api/versions/{version}']?.['post'])).toEqual([['version', { type: 'number' }]]);
  });

  it('extends DTO components, removing a keyword the extension sets to undefined', () => {
    const { document, gaps } = buildOpenApiDocument(
      routes.filter((route) => route.method === 'POST'),
      {
        ...description({ 'POST /api/things': { operationId: 'createThing', summary: 'Create', tags: [], success: { description: 'Created.' } } }),
        extendSchemas: () => ({ Sample: { required: undefined, anyOf: [{ required: ['name'] }, { required: ['tags'] }] } }),
      },
    );

    expect(gaps).toEqual([]);
    expect(document.components.schemas['Sample']).not.toHaveProperty('required');
    expect(document.components.schemas['Sample']).toMatchObject({ type: 'object', anyOf: [{ required: ['name'] }, { required: ['tags'] }] });
  });

  it('writes Nest path parameters in OpenAPI form', () => {
    expect(openApiPath('/api/admin/keys/:keyId')).toBe('/api/admin/keys/{keyId}');
    expect(openApiPath('/a/:b/c/:d_e')).toBe('/a/{b}/c/{d_e}');
  });
});
