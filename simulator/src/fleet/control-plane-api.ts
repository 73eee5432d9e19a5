/**
 * The simulator's operator: calls the control plane's HTTP API in-process (`app.request`, no socket),
 * so enrolment, model registration and rollouts go through the same routes, validation, audit log and
 * services as on a real deployment, without 10,000 HTTP round trips through the kernel.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlPlane } from '@edgefleet/control-plane';
import { SimulatorError } from '../errors.js';
import type { ModelUpload } from '../models/workload.js';

export interface ControlPlaneApi {
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  /**
   * Registers `upload` as the next version of `line`. A refusal (4xx: the model, its samples or state do not
   * fit) is the scenario's to fix: SCENARIO_INVALID naming `field` (`models.candidate`).
   */
  registerModel(options: {
    line: string;
    upload: ModelUpload;
    field: string;
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
    async registerModel({ line, upload, field }) {
      const form = new FormData();
      const octets = { type: 'application/octet-stream' };
      form.set('model', new Blob([upload.onnx], octets), `${line}.onnx`);
      form.set('metadata', JSON.stringify(upload.metadata));
      if (upload.samplesFile !== undefined) form.set('samples', new Blob([upload.samplesFile], octets), 'samples.npy');
      if (upload.reference !== undefined) form.set('reference', JSON.stringify(upload.reference));
      const response = await cp.app.request(`/v1/models/${line}/versions`, {
        method: 'POST',
        headers: auth,
        body: form,
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status >= 400 && response.status < 500) {
        const error = (body.error ?? {}) as { code?: string; message?: string };
        throw new SimulatorError(
          'SCENARIO_INVALID',
          `${field}: the control plane refused the model (${response.status} ${error.code ?? ''}): ${error.message ?? JSON.stringify(body)}`,
        );
      }
      if (response.status !== 201) {
        throw new SimulatorError(
          'RUN_FAILED',
          `POST /v1/models/${line}/versions → ${response.status}: ${JSON.stringify(body)}`,
        );
      }
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
