/**
 * `GET /openapi.json` and `GET /docs`, public: the API's shape is no secret, and a client generator or an
 * operator must be able to read it before holding a token. Built once per app (the route table is static).
 */
import { Hono } from 'hono';
import type { HttpEnv } from '../http-env.js';
import { renderDocsPage } from '../openapi/docs-page.js';
import { buildOpenApiDocument } from '../openapi/openapi-document.js';

export const API_VERSION = 'v1';

export function createOpenApiRoutes() {
  const document = buildOpenApiDocument({ version: API_VERSION });
  const page = renderDocsPage(document);
  return new Hono<HttpEnv>()
    .get('/openapi.json', (c) => c.json(document))
    .get('/docs', async (c) => c.html(await page));
}
