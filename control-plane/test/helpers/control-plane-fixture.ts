/**
 * Test fixture: a real control plane on a temp data dir with ephemeral ports and silent logs, plus
 * shortcuts for the calls most tests need (as an operator, enrol a device, register the iris model).
 * Every fixture is closed and its directory removed by `close()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import pino from 'pino';
import { afterEach } from 'vitest';
import { type ControlPlane, type ControlPlaneOptions, createControlPlane } from '../../src/index.js';
import { testDatabase } from './test-database.js';

export interface Fixture {
  readonly cp: ControlPlane;
  readonly dataDir: string;
  request(
    method: string,
    path: string,
    options?: { token?: string | null; json?: unknown; body?: FormData | string; contentType?: string },
  ): Promise<Response>;
  enrol(options?: {
    group?: string;
    tags?: string[];
    deviceId?: string;
  }): Promise<{ deviceId: string; password: string; mqttUrl: string }>;
  registerIris(options?: { line?: string; version?: number; chunkBytes?: number; hidden?: number }): Promise<Response>;
  /** The telemetry windows the control plane stored for a device, newest first. */
  telemetry(deviceId: string): Promise<{ seq: number }[]>;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export function irisForm(metadata: Record<string, unknown>, model: Uint8Array): FormData {
  const form = new FormData();
  form.append('model', new Blob([new Uint8Array(model)]), 'model.onnx');
  form.append('metadata', JSON.stringify(metadata));
  return form;
}

export async function startFixture(
  options: Partial<ControlPlaneOptions> & { dataDir?: string } = {},
): Promise<Fixture> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edgefleet-cp-'));
  const database = options.database ?? (await testDatabase(dataDir));
  const cp = await createControlPlane({
    logger: pino({ level: 'silent' }),
    ...options,
    dataDir,
    ...(database === undefined ? {} : { database }),
  });
  const request: Fixture['request'] = (method, path, opts = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? cp.adminToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body = opts.body;
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    return Promise.resolve(cp.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
  };
  return {
    cp,
    dataDir,
    request,
    async enrol({ group = 'lab', tags, deviceId } = {}) {
      const minted = await request('POST', '/v1/enrolment-tokens', { json: { group, ...(tags ? { tags } : {}) } });
      const { token } = (await minted.json()) as { token: string };
      const res = await request('POST', '/v1/enrol', {
        token: null,
        json: { token, ...(deviceId ? { deviceId } : {}) },
      });
      if (res.status !== 201) throw new Error(`enrol failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { deviceId: string; mqtt: { url: string; password: string } };
      return { deviceId: body.deviceId, password: body.mqtt.password, mqttUrl: body.mqtt.url };
    },
    registerIris({ line = 'iris', version, chunkBytes, hidden } = {}) {
      const iris = buildIrisModels(hidden === undefined ? {} : { hidden });
      const metadata = { sampleInputs: iris.meta.sampleInputs.slice(0, 4), version, chunkBytes };
      return request('POST', `/v1/models/${line}/versions`, { body: irisForm(metadata, iris.fp32) });
    },
    async telemetry(deviceId) {
      return (await (await request('GET', `/v1/devices/${deviceId}/telemetry`)).json()) as { seq: number }[];
    },
    async close({ keepDir = false } = {}) {
      await cp.close();
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `start(options)` for a test file: every fixture it starts is closed (and its directory removed) after each test. */
export function fixturesClosedAfterEach(): (options?: Parameters<typeof startFixture>[0]) => Promise<Fixture> {
  const open: Fixture[] = [];
  afterEach(async () => {
    for (const f of open.splice(0).reverse()) await f.close();
  });
  return async (options = {}) => {
    const f = await startFixture(options);
    open.push(f);
    return f;
  };
}
