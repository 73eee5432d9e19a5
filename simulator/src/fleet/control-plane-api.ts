/**
 * The simulator's operator: calls the control plane's HTTP API in-process (`app.request`, no socket),
 * so enrolment, model registration and rollouts go through the same routes, validation, audit log and
 * services as on a real deployment, without 10,000 HTTP round trips through the kernel.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlPlane } from '@edgefleet/control-plane';
import { SimulatorError } from '../errors.js';

export interface ControlPlaneApi {
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  registerModel(options: {
    line: string;
    onnx: Uint8Array;
    sampleInputs: number[][];
    referenceRows: number[][];
    featureNames: readonly string[];
  }): Promise<{ version: number; digest: string }>;
  /** Mints a one-time token and enrols `deviceId` with it; writes the agent's credentials file. */
  enrol(options: { deviceId: string; group: string; tags: string[]; profile: string; stateDir: string }): Promise<void>;
}

export function controlPlaneApi(cp: ControlPlane): ControlPlaneApi {
  const auth = { authorization: `Bearer ${cp.adminToken}` };
  async function call(path: string, init: RequestInit, expected: number): Promise<Record<string, unknown>> {
    const response = await cp.app.request(path, init);
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== expected) {
      throw new SimulatorError('RUN_FAILED', `${init.method} ${path} → ${response.status}: ${JSON.stringify(body)}`);
    }
    return body;
  }
  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    call(
      path,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) },
      201,
    );
  return {
    post: (path, body) => post(path, body),
    async registerModel({ line, onnx, sampleInputs, referenceRows, featureNames }) {
      const form = new FormData();
      form.set('model', new Blob([onnx], { type: 'application/octet-stream' }), `${line}.onnx`);
      form.set('metadata', JSON.stringify({ sampleInputs }));
      form.set('reference', JSON.stringify({ rows: referenceRows, featureNames }));
      const body = await call(`/v1/models/${line}/versions`, { method: 'POST', headers: auth, body: form }, 201);
      return { version: body.version as number, digest: body.digest as string };
    },
    async enrol({ deviceId, group, tags, profile, stateDir }) {
      const minted = await post('/v1/enrolment-tokens', { group, tags });
      const hardware = { platform: 'linux', arch: 'arm64', cpus: 4, memoryBytes: 0, profile };
      const credentials = await post('/v1/enrol', { token: minted.token, deviceId, hardware }, {});
      await mkdir(stateDir, { recursive: true });
      await writeFile(join(stateDir, 'credentials.json'), JSON.stringify(credentials), { mode: 0o600 });
    },
  };
}
