import 'reflect-metadata';
import { ParseIntPipe, RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { DtoClass } from './dto-schemas';

/** The metadata key of `@RequireRoles(...)` (apps/gateway/src/api-key.guard.ts). */
export const REQUIRED_ROLES_METADATA = 'halm:required-roles';

/** A decorator-declared argument of a route handler: `@Param('id')`, `@Query()`, … */
export interface RouteArgument {
  /** The name given to the decorator (`@Param('keyId')`), or undefined for the whole object. */
  name: string | undefined;
  /** The declared TypeScript type, as emitted decorator metadata carries it (String, a DTO class, …). */
  type: unknown;
  /** True when a `ParseIntPipe` turns it into a whole number (`@Param('version', ParseIntPipe)`). */
  integer?: boolean;
}

/** One HTTP route as Nest registers it, with what the document can derive from its code. */
export interface DiscoveredRoute {
  method: string;
  /** Nest's path syntax: `/api/admin/keys/:keyId`. */
  path: string;
  controller: DtoClass;
  handler: string;
  /** The status of `@HttpCode(...)`, else Nest's default (201 for POST, 200 otherwise). */
  successStatus: number;
  /** True when the handler writes the reply itself (`@Res()`), so its status is its own business. */
  writesReply: boolean;
  /** The declared type of the `@Body()` argument, when there is one. */
  body: RouteArgument | undefined;
  query: RouteArgument[];
  params: RouteArgument[];
  headers: RouteArgument[];
  guards: DtoClass[];
  roles: string[];
}

const joinPath = (...parts: string[]): string => {
  const path = parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
  return `/${path}`;
};

const asList = (value: unknown): string[] => (value === undefined ? [''] : Array.isArray(value) ? value.map(String) : [String(value)]);

const methodNames = (prototype: object): string[] => {
  const names = new Set<string>();
  for (let current: object | null = prototype; current && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(current, name);
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names];
};

/**
 * Every route of the given controllers, read from the same decorator metadata Nest's router
 * reads (path, method, status code, argument decorators, guards, roles). No global prefix,
 * versioning or RouterModule paths: Halm uses none, and the OpenAPI test compares the result
 * with the routes Fastify actually registered.
 */
export const discoverRoutes = (controllers: readonly DtoClass[]): DiscoveredRoute[] =>
  controllers.flatMap((controller) => {
    const prototype = controller.prototype as Record<string, unknown>;
    const controllerPaths = asList(Reflect.getMetadata(PATH_METADATA, controller));
    const controllerGuards = (Reflect.getMetadata(GUARDS_METADATA, controller) as DtoClass[] | undefined) ?? [];
    const controllerRoles = Reflect.getMetadata(REQUIRED_ROLES_METADATA, controller) as string[] | undefined;
    return methodNames(prototype).flatMap((handler) => {
      const callback = prototype[handler] as object;
      const methodPath = Reflect.getMetadata(PATH_METADATA, callback) as unknown;
      if (methodPath === undefined) return [];
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, callback) as RequestMethod;
      const method = RequestMethod[requestMethod] ?? 'GET';
      const argumentsMetadata = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<string, { index: number; data?: unknown; pipes?: unknown[] }>;
      const parameterTypes = (Reflect.getMetadata('design:paramtypes', prototype, handler) ?? []) as unknown[];
      const argumentsOf = (paramtype: RouteParamtypes): RouteArgument[] =>
        Object.entries(argumentsMetadata)
          .filter(([key]) => Number(key.split(':')[0]) === paramtype)
          .map(([, argument]) => ({
            name: typeof argument.data === 'string' ? argument.data : undefined,
            type: parameterTypes[argument.index],
            ...((argument.pipes ?? []).some((pipe) => pipe === ParseIntPipe || pipe instanceof ParseIntPipe) ? { integer: true } : {}),
          }));
      const explicitStatus = Reflect.getMetadata(HTTP_CODE_METADATA, callback) as number | undefined;
      const methodRoles = Reflect.getMetadata(REQUIRED_ROLES_METADATA, callback) as string[] | undefined;
      const route: Omit<DiscoveredRoute, 'path'> = {
        method,
        controller,
        handler,
        successStatus: explicitStatus ?? (method === 'POST' ? 201 : 200),
        // `@Res({ passthrough: true })` still lets Nest send the return value with the declared status.
        writesReply: Object.entries(argumentsMetadata).some(
          ([key, argument]) => Number(key.split(':')[0]) === RouteParamtypes.RESPONSE && (argument.data as { passthrough?: boolean } | undefined)?.passthrough !== true,
        ),
        body: argumentsOf(RouteParamtypes.BODY)[0],
        query: argumentsOf(RouteParamtypes.QUERY),
        params: argumentsOf(RouteParamtypes.PARAM),
        headers: argumentsOf(RouteParamtypes.HEADERS),
        guards: [...controllerGuards, ...((Reflect.getMetadata(GUARDS_METADATA, callback) as DtoClass[] | undefined) ?? [])],
        // Like Reflector.getAllAndOverride: the handler's roles win over the controller's.
        roles: methodRoles ?? controllerRoles ?? [],
      };
      return controllerPaths.flatMap((controllerPath) => asList(methodPath).map((path) => ({ ...route, path: joinPath(controllerPath, path) })));
    });
  });
