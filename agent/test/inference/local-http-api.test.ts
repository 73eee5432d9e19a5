import { request } from 'node:http';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInferenceService, type InferenceService } from '../../src/inference/inference-service.js';
import { createLocalHttpApi, type LocalHttpApi } from '../../src/inference/local-http-api.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import { irisLoadOptions, irisModels, rawSession, writeIrisFiles } from '../runtime/fixtures.js';
import { clock, entry, instantModel } from './fixtures.js';

const logger = pino({ level: 'silent' });
const ROW = [5.1, 3.5, 1.4, 0.2];

describe('local HTTP API', () => {
  let service: InferenceService;
  let api: LocalHttpApi;
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    service = createInferenceService({ clock });
    service.activate('iris', entry(4, await instantModel(4)));
    api = await createLocalHttpApi({ service, logger, port: 0, status: () => ({ state: 'online', models: 1 }) });
  });
  afterEach(async () => {
    await api.close();
    await service.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function post(path: string, body: string) {
    return fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  it('listens on 127.0.0.1 by default', () => {
    expect(new URL(api.url).hostname).toBe('127.0.0.1');
  });

  it('answers a prediction with line, version, outputs and latency', async () => {
    const res = await post('/v1/models/iris/predict', JSON.stringify({ inputs: [ROW, [1, 1, 1, 1]] }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { latencyMs: number };
    expect(body).toMatchObject({
      line: 'iris',
      version: 4,
      outputs: [
        [expect.any(Number), 4, -4],
        [16, 4, -4],
      ],
    });
    expect(body.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('serves real onnxruntime predictions identical to a raw session', async () => {
    const files = await writeIrisFiles();
    cleanups.push(files.cleanup);
    const { sampleInputs } = irisModels().meta;
    const model = await createOnnxRuntime().load(irisLoadOptions(files.fp32Path));
    await service.activate('iris', entry(5, model))?.retire();
    const res = await post('/v1/models/iris/predict', JSON.stringify({ inputs: sampleInputs }));
    expect(res.status).toBe(200);
    const raw = await rawSession(files.fp32Path);
    const expected = await raw.run({ data: Float32Array.from(sampleInputs.flat()), shape: [sampleInputs.length, 4] });
    await raw.release();
    const body = (await res.json()) as { outputs: number[][] };
    expect(body.outputs.flat()).toEqual(Array.from(expected.data));
  });

  it('reports health from the status callback and lists active models', async () => {
    expect(await (await fetch(`${api.url}/v1/health`)).json()).toEqual({ state: 'online', models: 1 });
    const models = await (await fetch(`${api.url}/v1/models`)).json();
    expect(models).toEqual({
      models: [{ line: 'iris', version: 4, digest: expect.any(String), activatedAt: expect.any(Number) }],
    });
  });

  it.each([
    ['invalid JSON', '{"inputs": [[1,2'],
    ['a body without inputs', '{"rows": [[1,2,3,4]]}'],
    ['non-numeric inputs', '{"inputs": [["a","b","c","d"]]}'],
    ['rows of the wrong width', '{"inputs": [[1,2,3]]}'],
  ])('answers 400 INPUT_INVALID to %s', async (_name, body) => {
    const res = await post('/v1/models/iris/predict', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'INPUT_INVALID', message: expect.any(String) } });
  });

  it('answers 503 NO_MODEL for a line without a model', async () => {
    const res = await post('/v1/models/digits/predict', JSON.stringify({ inputs: [ROW] }));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'NO_MODEL' } });
  });

  it('answers 404 NOT_FOUND to unknown routes and methods', async () => {
    for (const res of [
      await fetch(`${api.url}/v1/nothing`),
      await fetch(`${api.url}/v1/models/iris/predict`),
      await post('/v1/models/iris/train', '{}'),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('answers 413 to a body over 1 MiB, declared or streamed', async () => {
    const big = JSON.stringify({ inputs: Array.from({ length: 60_000 }, () => ROW) });
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const declared = await post('/v1/models/iris/predict', big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: 'MESSAGE_TOO_LARGE' } });
    expect(await streamedStatus(`${api.url}/v1/models/iris/predict`, big)).toBe(413);
    expect(api.rejections()).toMatchObject({ MESSAGE_TOO_LARGE: 2 });
  });

  it('keeps serving after rejecting bad requests', async () => {
    await post('/v1/models/iris/predict', 'nope');
    const res = await post('/v1/models/iris/predict', JSON.stringify({ inputs: [ROW] }));
    expect(res.status).toBe(200);
    expect(api.rejections()).toEqual({ INPUT_INVALID: 1 });
  });
});

describe('local HTTP API callers', () => {
  let service: InferenceService;
  const apis: LocalHttpApi[] = [];
  beforeEach(async () => {
    service = createInferenceService({ clock });
    service.activate('iris', entry(4, await instantModel(4)));
  });
  afterEach(async () => {
    for (const api of apis.splice(0)) await api.close();
    await service.close();
  });

  async function start(options: { host?: string; token?: string; allowedHosts?: string[] } = {}) {
    const samples: string[] = [];
    const api = await createLocalHttpApi({
      service,
      logger,
      port: 0,
      status: () => ({}),
      samples: (line) => {
        samples.push(line);
        return { added: 1, dropped: 0 };
      },
      ...options,
    });
    apis.push(api);
    return { api, samples };
  }

  /** A raw request, so Host and Origin are exactly what a rebinding page or another origin would send. */
  function send(url: string, path: string, headers: Record<string, string>, body = '{"rows":[]}') {
    return new Promise<{ status: number; code?: string | undefined }>((resolve, reject) => {
      const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            code: (JSON.parse(text || '{}') as { error?: { code: string } }).error?.code,
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('refuses a rebound Host, a cross-origin post, text/plain JSON and samples for a line it does not run', async () => {
    const { api, samples } = await start();
    const port = new URL(api.url).port;
    const json = { 'content-type': 'application/json' };
    expect(await send(api.url, '/v1/models/iris/samples', { ...json, host: `attacker.example:${port}` })).toEqual({
      status: 403,
      code: 'AUTH_FORBIDDEN',
    });
    expect(
      await send(api.url, '/v1/models/iris/samples', {
        ...json,
        host: `127.0.0.1:${port}`,
        origin: 'http://localhost:9999.evil.example',
      }),
    ).toEqual({ status: 403, code: 'AUTH_FORBIDDEN' });
    expect(
      await send(api.url, '/v1/models/iris/samples', { 'content-type': 'text/plain', host: `127.0.0.1:${port}` }),
    ).toEqual({ status: 415, code: 'CONTENT_TYPE_UNSUPPORTED' });
    expect(await send(api.url, '/v1/models/nope/samples', { ...json, host: `127.0.0.1:${port}` })).toEqual({
      status: 503,
      code: 'NO_MODEL',
    });
    expect(samples).toEqual([]);
    // The same request from a local application goes through, a same-host browser origin too.
    expect(await send(api.url, '/v1/models/iris/samples', { ...json, host: `localhost:${port}` })).toMatchObject({
      status: 202,
    });
    expect(
      await send(api.url, '/v1/models/iris/samples', {
        ...json,
        host: `127.0.0.1:${port}`,
        origin: `http://127.0.0.1:${port}`,
      }),
    ).toMatchObject({ status: 202 });
    expect(samples).toEqual(['iris', 'iris']);
    expect(api.rejections()).toEqual({ AUTH_FORBIDDEN: 2, CONTENT_TYPE_UNSUPPORTED: 1, NO_MODEL: 1 });
  });

  it('needs a token to bind beyond loopback, and then checks it on every call but health', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toThrow(/httpApi.token/);
    const token = 'local-secret-0123456789';
    const { api } = await start({ host: '0.0.0.0', token, allowedHosts: ['gateway-7.local'] });
    const port = new URL(api.url).port;
    const base = `http://127.0.0.1:${port}`;
    const json = { 'content-type': 'application/json' };
    expect(await send(base, '/v1/models/iris/samples', json)).toEqual({ status: 401, code: 'AUTH_REQUIRED' });
    expect(await send(base, '/v1/models/iris/samples', { ...json, authorization: 'Bearer wrong' })).toEqual({
      status: 401,
      code: 'AUTH_REQUIRED',
    });
    const authorized = { ...json, authorization: `Bearer ${token}` };
    expect(await send(base, '/v1/models/iris/samples', authorized)).toMatchObject({ status: 202 });
    expect(
      await send(base, '/v1/models/iris/samples', { ...authorized, host: `gateway-7.local:${port}` }),
    ).toMatchObject({
      status: 202,
    });
    expect((await fetch(`${base}/v1/health`)).status).toBe(200);
  });
});

/** Sends the body with chunked transfer encoding (no content-length), so only the byte count can catch it. */
function streamedStatus(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may cut the connection while we are still writing; the status already arrived then.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
    req.end();
  });
}
