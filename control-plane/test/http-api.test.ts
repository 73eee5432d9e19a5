import type { ManifestBody } from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, irisForm, startFixture } from './helpers/control-plane-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await startFixture();
});
afterEach(async () => {
  await f.close();
});

async function tokenFor(role: 'admin' | 'operator' | 'viewer', name: string = role): Promise<string> {
  const res = await f.request('POST', '/v1/tokens', { json: { name, role } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('HTTP API authentication and roles', () => {
  it('answers health without credentials, with its clock for devices to measure skew against', async () => {
    const res = await f.request('GET', '/v1/health', { token: null });
    expect(res.status).toBe(200);
    const { time } = (await res.json()) as { time: number };
    expect(Math.abs(time - Date.now())).toBeLessThan(60_000);
  });

  it('refuses a missing or unknown bearer token with 401 AUTH_REQUIRED', async () => {
    const missing = await f.request('GET', '/v1/devices', { token: null });
    expect(missing.status).toBe(401);
    expect(await errorCode(missing)).toBe('AUTH_REQUIRED');
    const unknown = await f.request('GET', '/v1/devices', { token: 'eft_not-a-token' });
    expect(unknown.status).toBe(401);
  });

  it('lets a viewer read but refuses it any mutation with 403 AUTH_FORBIDDEN', async () => {
    const viewer = await tokenFor('viewer');
    expect((await f.request('GET', '/v1/models', { token: viewer })).status).toBe(200);
    const res = await f.request('POST', '/v1/enrolment-tokens', { token: viewer, json: { group: 'lab' } });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('AUTH_FORBIDDEN');
  });

  it('lets only an admin mint API tokens', async () => {
    const operator = await tokenFor('operator');
    const res = await f.request('POST', '/v1/tokens', { token: operator, json: { name: 'x', role: 'admin' } });
    expect(res.status).toBe(403);
  });
});

describe('HTTP API body validation', () => {
  it('answers 400 BODY_INVALID for a body that does not match the schema', async () => {
    const res = await f.request('POST', '/v1/enrolment-tokens', { json: { group: 'Not Valid!' } });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('BODY_INVALID');
  });

  it('answers 400 BODY_INVALID for a body that is not JSON', async () => {
    const res = await f.request('POST', '/v1/rollouts', { body: '{nope', contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('BODY_INVALID');
  });

  it('takes JSON bodies only as application/json (415 for text/plain, a form or no type)', async () => {
    const body = JSON.stringify({ line: 'iris', version: 1, group: 'lab' });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await f.request('POST', '/v1/rollouts', { body, ...(contentType ? { contentType } : {}) });
      expect(res.status).toBe(415);
      expect(await errorCode(res)).toBe('CONTENT_TYPE_UNSUPPORTED');
    }
    const typed = await f.request('POST', '/v1/rollouts', { body, contentType: 'application/json; charset=utf-8' });
    expect(typed.status).toBe(404); // past the type check: the version does not exist
  });

  it('serves the dashboard with a CSP that forbids framing', async () => {
    const res = await f.request('GET', '/ui', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('says when a path or query parameter is wrong, not that the body is', async () => {
    const path = await f.request('GET', `/v1/devices/${'x'.repeat(300)}`);
    expect(path.status).toBe(400);
    expect(await errorCode(path)).toBe('PATH_INVALID');
    const query = await f.request('GET', '/v1/audit?limit=-4');
    expect(query.status).toBe(400);
    expect(await errorCode(query)).toBe('QUERY_INVALID');
  });

  it('answers 404 NOT_FOUND for a rollout of an unknown model version', async () => {
    const res = await f.request('POST', '/v1/rollouts', { json: { line: 'iris', version: 9, group: 'lab' } });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('NOT_FOUND');
  });
});

describe('model registration', () => {
  it('lets an operator register an ONNX model with a self-test set computed from the samples', async () => {
    const operator = await tokenFor('operator');
    const iris = buildIrisModels();
    const samples = iris.meta.sampleInputs.slice(0, 3);
    const res = await f.request('POST', '/v1/models/iris/versions', {
      token: operator,
      body: irisForm({ sampleInputs: samples, chunkBytes: 1024 }, iris.fp32),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      version: number;
      sizeBytes: number;
      chunkCount: number;
      inputs: unknown[];
      manifest: ManifestBody;
    };
    expect(body.version).toBe(1);
    // The bundle is the model file followed by its self-test set.
    expect(body.manifest.modelBytes).toBe(iris.fp32.length);
    expect(body.sizeBytes).toBe(iris.fp32.length + (body.manifest.selfTest?.bytes ?? 0));
    expect(body.chunkCount).toBe(Math.ceil(body.sizeBytes / 1024));
    expect(body.manifest.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: ['N', 4] }]);
    expect(body.manifest.outputs).toEqual([{ name: 'probabilities', dtype: 'float32', shape: ['N', 3] }]);
    expect(body.inputs).toEqual(body.manifest.inputs);
    expect(body.manifest.selfTest).toMatchObject({ vectors: 3, tolerance: { probabilities: { atol: 1e-4, rtol: 0 } } });
    // The declared memory need is estimated from the model file: 3 × its size + 8 MiB for the session.
    expect(body.manifest.resources?.memoryBytes).toBe(3 * iris.fp32.length + 8 * 1024 * 1024);
  });

  it('registers an agent build as the next version of the reserved line `agent`, without self-test', async () => {
    const form = new FormData();
    form.append('bundle', new Blob([new TextEncoder().encode('console.log("agent build");\n')]), 'agent.mjs');
    const res = await f.request('POST', '/v1/agent-releases', { body: form });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { line: string; version: number; manifest: Record<string, unknown> };
    expect(body).toMatchObject({ line: 'agent', version: 1, manifest: { runtime: 'agent', inputs: [], outputs: [] } });
    expect(body.manifest.selfTest).toBeUndefined();
    // Models cannot be registered on the agent line.
    const iris = buildIrisModels();
    const model = await f.request('POST', '/v1/models/agent/versions', {
      body: irisForm({ sampleInputs: iris.meta.sampleInputs.slice(0, 1) }, iris.fp32),
    });
    expect(model.status).toBe(409);
  });

  it('keeps versions monotonic: omitted → latest + 1, lower or equal → 409 CONFLICT', async () => {
    expect((await f.registerIris()).status).toBe(201);
    const second = await f.registerIris();
    expect(((await second.json()) as { version: number }).version).toBe(2);
    for (const version of [1, 2]) {
      const res = await f.registerIris({ version });
      expect(res.status).toBe(409);
      expect(await errorCode(res)).toBe('CONFLICT');
    }
    expect((await f.registerIris({ version: 7 })).status).toBe(201);
    const lines = await (await f.request('GET', '/v1/models')).json();
    expect(lines).toEqual([{ line: 'iris', latestVersion: 7, versionCount: 3 }]);
    const detail = (await (await f.request('GET', '/v1/models/iris/versions/7')).json()) as {
      manifest: { lineage: { parents: number[] } };
      signedManifest: string;
    };
    expect(detail.manifest.lineage.parents).toEqual([2]);
    expect(detail.signedManifest.length).toBeGreaterThan(0);
  });

  it('refuses bytes onnxruntime cannot load with MODEL_LOAD_FAILED', async () => {
    const res = await f.request('POST', '/v1/models/iris/versions', {
      body: irisForm({ sampleInputs: [[1, 2, 3, 4]] }, new TextEncoder().encode('not an onnx model')),
    });
    expect(await errorCode(res)).toBe('MODEL_LOAD_FAILED');
    expect(res.status).toBe(422);
  });

  it('refuses an upload over the bundle limit with 413', async () => {
    await f.close();
    f = await startFixture({ maxBundleBytes: 256 });
    const res = await f.registerIris();
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe('BUNDLE_TOO_LARGE');
  });
});

describe('enrolment', () => {
  it('enrols a device once per token; a second use is 401 ENROLMENT_TOKEN_INVALID', async () => {
    const minted = await f.request('POST', '/v1/enrolment-tokens', { json: { group: 'lab', tags: ['eu'] } });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    const first = await f.request('POST', '/v1/enrol', { token: null, json: { token, deviceId: 'dev-one' } });
    expect(first.status).toBe(201);
    const body = (await first.json()) as { deviceId: string; mqtt: { url: string; username: string }; root: string };
    expect(body.deviceId).toBe('dev-one');
    expect(body.mqtt).toMatchObject({ url: f.cp.mqttUrl, username: 'dev-one' });
    expect(body.root.length).toBeGreaterThan(0);
    const again = await f.request('POST', '/v1/enrol', { token: null, json: { token, deviceId: 'dev-two' } });
    expect(again.status).toBe(401);
    expect(await errorCode(again)).toBe('ENROLMENT_TOKEN_INVALID');
  });

  it('generates a device id when none is given and refuses a taken one with 409', async () => {
    const generated = await f.enrol();
    expect(generated.deviceId).toMatch(/^dev-[0-9a-f]{12}$/);
    await expect(f.enrol({ deviceId: generated.deviceId })).rejects.toThrow(/409/);
  });
});

describe('audit log', () => {
  it('records successful and refused mutating calls with actor, action and status', async () => {
    const viewer = await tokenFor('viewer', 'alice');
    await f.request('POST', '/v1/enrolment-tokens', { token: viewer, json: { group: 'lab' } });
    const device = await f.enrol();
    await f.request('POST', '/v1/enrol', { token: null, json: { token: 'eet_bogus' } });
    const res = await f.request('GET', '/v1/audit?limit=10');
    const rows = (await res.json()) as { actor: string; action: string; status: number }[];
    const summary = rows.map((r) => `${r.actor} ${r.action} ${r.status}`).reverse();
    expect(summary).toEqual([
      'admin tokens.create 201',
      'alice enrolment-tokens.create 403',
      'admin enrolment-tokens.create 201',
      `${device.deviceId} devices.enrol 201`,
    ]);
  });

  it('counts failed anonymous enrolments instead of writing a row for each', async () => {
    const before = (await (await f.request('GET', '/v1/audit?limit=500')).json()) as unknown[];
    for (let i = 0; i < 50; i++) {
      expect((await f.request('POST', '/v1/enrol', { token: null, json: { token: `eet_bogus${i}` } })).status).toBe(
        401,
      );
    }
    const after = (await (await f.request('GET', '/v1/audit?limit=500')).json()) as unknown[];
    expect(after).toHaveLength(before.length);
    const metrics = await (await f.request('GET', '/metrics')).text();
    expect(metrics).toMatch(/edgefleet_http_requests_total\{[^}]*route="\/v1\/enrol"[^}]*status="401"[^}]*\} 50/);
  });

  it('is readable by admins only', async () => {
    const operator = await tokenFor('operator');
    expect((await f.request('GET', '/v1/audit', { token: operator })).status).toBe(403);
  });
});
