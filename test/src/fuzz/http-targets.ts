/**
 * Fuzz targets for HTTP request bodies: every JSON route of the control plane, driven from its own OpenAPI
 * document through `app.request()` (in process, no socket), and the agent's local inference API over its
 * real socket. A 5xx is a crash. A 2xx is an acceptance, and the body must then be UTF-8 JSON that the
 * route's published JSON Schema accepts (converted with `z.fromJSONSchema`, apart from the route's own
 * zod schema) — or, for the agent's predict route, rows of exactly the model's feature count.
 */
import type { ControlPlane } from '@edgefleet/control-plane';
import fc from 'fast-check';
import { z } from 'zod';
import { FuzzFinding, type FuzzTarget, type Verdict } from './fuzz-target.js';
import { jsonMutants, strictJson } from './json-mutations.js';

export interface ControlPlaneRoute {
  /** OpenAPI path (`/v1/rollouts/{id}/pause`). */
  readonly openapiPath: string;
  /** The concrete path requested. */
  readonly path: string;
  readonly seed: unknown;
  readonly auth: boolean;
}

function verdictOf(status: number, what: string): Verdict | 'ok' {
  if (status >= 500) throw new FuzzFinding('crash', `${what} answered ${status}`);
  return status >= 200 && status < 300 ? 'ok' : 'rejected';
}

/**
 * One target over `routes`: each case picks a route and a mutant of its seed body. The CI test passes every
 * JSON route at once; the soak script one route per target.
 */
export async function controlPlaneTarget(
  cp: ControlPlane,
  routes: readonly ControlPlaneRoute[],
): Promise<FuzzTarget<{ route: number; body: Uint8Array }>> {
  const doc = (await (await cp.app.request('/openapi.json')).json()) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
  };
  const oracles = routes.map((route) => {
    const published = doc.paths[route.openapiPath]?.post.requestBody.content['application/json']?.schema;
    if (published === undefined) throw new Error(`no JSON body in the OpenAPI document for ${route.openapiPath}`);
    const oracle = z.fromJSONSchema(published as Parameters<typeof z.fromJSONSchema>[0]);
    if (!oracle.safeParse(route.seed).success) throw new Error(`the seed of ${route.path} is not valid`);
    return oracle;
  });
  return {
    name: routes.length === 1 ? `http POST ${routes[0]!.openapiPath}` : `http control plane (${routes.length} routes)`,
    input: fc.oneof(...routes.map((r, route) => jsonMutants(r.seed as never).map((body) => ({ route, body })))),
    async check({ route: index, body }) {
      const route = routes[index]!;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (route.auth) headers.authorization = `Bearer ${cp.adminToken}`;
      const res = await cp.app.request(route.path, { method: 'POST', headers, body });
      await res.arrayBuffer();
      const verdict = verdictOf(res.status, route.path);
      if (verdict !== 'ok') return verdict;
      const json = strictJson(body);
      if (json === undefined) {
        throw new FuzzFinding('accepted-invalid', `${route.path} accepted a body that is not UTF-8 JSON`);
      }
      if (!oracles[index]!.safeParse(json.value).success) {
        throw new FuzzFinding('accepted-invalid', `${route.path} accepted a body its OpenAPI schema refuses`);
      }
      return 'accepted';
    },
  };
}

/** The agent's local HTTP API (predict + feedback) of a running agent serving `line` with `features` inputs. */
export function agentHttpTarget(options: { url: string; line: string; features: number }): FuzzTarget<{
  route: 'predict' | 'feedback';
  body: Uint8Array;
}> {
  const row = Array.from({ length: options.features }, (_, i) => i / 10);
  const predict = { inputs: [row, row] };
  const feedback = { predicted: [1, 0], labels: [1, 1] };
  return {
    name: 'agent local http api',
    input: fc.oneof(
      { arbitrary: jsonMutants(predict).map((body) => ({ route: 'predict', body }) as const), weight: 4 },
      { arbitrary: jsonMutants(feedback).map((body) => ({ route: 'feedback', body }) as const), weight: 1 },
    ),
    async check({ route, body }) {
      const res = await fetch(`${options.url}/v1/models/${options.line}/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      const verdict = verdictOf(res.status, route);
      if (verdict !== 'ok') return verdict;
      const json = strictJson(body);
      if (json === undefined)
        throw new FuzzFinding('accepted-invalid', `${route} accepted a body that is not UTF-8 JSON`);
      if (route === 'feedback') {
        const { predicted, labels } = json.value as { predicted?: unknown; labels?: unknown };
        const ints = (v: unknown) =>
          Array.isArray(v) && v.length > 0 && v.every((x) => Number.isSafeInteger(x) && x >= 0);
        if (!ints(predicted) || !ints(labels) || (predicted as unknown[]).length !== (labels as unknown[]).length) {
          throw new FuzzFinding('accepted-invalid', 'feedback accepted labels that are not paired class indices');
        }
        return 'accepted';
      }
      const inputs = (json.value as { inputs?: unknown }).inputs;
      const valid =
        Array.isArray(inputs) &&
        inputs.length > 0 &&
        inputs.every(
          (r) =>
            Array.isArray(r) &&
            r.length === options.features &&
            r.every((x) => typeof x === 'number' && Number.isFinite(x)),
        );
      if (!valid) throw new FuzzFinding('accepted-invalid', 'predict accepted rows that do not fit the model');
      return 'accepted';
    },
  };
}
