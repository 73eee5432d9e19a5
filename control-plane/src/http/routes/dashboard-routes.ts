/**
 * The operator dashboard: a small single-page app of plain ES modules served from
 * the package's `dashboard/` folder — no build step, no CDN, nothing fetched from elsewhere. The page itself is public
 * (it holds no data); every number on it comes from the same `/v1` API with the operator's bearer token, so
 * a viewer token sees everything and changes nothing, in the UI and in the API. `GET /v1/whoami` tells the
 * page which role it holds, to hide the controls the API would refuse anyway.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createRoleGuard } from '../middleware.js';

// Beside src/ and dist/ at the package root, so the sources and the compiled package find the same files.
const STATIC_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** Same-origin only: the page may not load or send anything anywhere else. */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Every asset read once at start; the set is fixed, so a request can never name a path outside it. */
function loadAssets(): Map<string, { body: string; type: string }> {
  const assets = new Map<string, { body: string; type: string }>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { body: readFileSync(`${STATIC_DIR}${name}`, 'utf8'), type });
  }
  return assets;
}

export function createDashboardRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const assets = loadAssets();
  const serve = (name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) return null;
    return new Response(asset.body, {
      headers: { 'content-type': asset.type, 'content-security-policy': CSP, 'cache-control': 'no-cache' },
    });
  };
  return new Hono<HttpEnv>()
    .get('/v1/whoami', requireRole('viewer'), (c) => c.json(c.var.actor))
    .get('/ui', (c) => serve('index.html') ?? c.notFound())
    .get('/ui/:asset', (c) => serve(c.req.param('asset')) ?? c.notFound());
}
