import { BATCH_TASK_ROUTES } from './batch-task-routes.ts';
import { CONCURRENCY_ROUTES } from './concurrency-routes.ts';
import { DEFINITION_ROUTES } from './definition-routes.ts';
import { META_ROUTES } from './meta-routes.ts';
import { PROCESS_ROUTES } from './process-routes.ts';
import { SCHEDULE_ROUTES } from './schedule-routes.ts';
import type { AnyRoute, RouteGroup } from './route-declaration.ts';
import { TASK_ROUTES } from './task-routes.ts';

/**
 * Every route of the HTTP API, by id: the one place a route is declared.
 * The id is stable: construct ids, Lambda log names and the OpenAPI
 * `operationId` come from it. See docs/architecture.md, "Adding a route".
 */
export const API_ROUTES = { ...META_ROUTES, ...DEFINITION_ROUTES, ...PROCESS_ROUTES, ...TASK_ROUTES, ...BATCH_TASK_ROUTES, ...SCHEDULE_ROUTES, ...CONCURRENCY_ROUTES } satisfies Readonly<Record<string, AnyRoute>>;

export type ApiRoutes = typeof API_ROUTES;
export type RouteId = keyof ApiRoutes;

/** The ids of the routes one group's function serves. */
export type RouteIdOf<G extends RouteGroup> = { [K in RouteId]: ApiRoutes[K]['group'] extends G ? K : never }[RouteId];

/** Every route id, in declaration order. */
export const ROUTE_IDS = Object.keys(API_ROUTES) as RouteId[];
