/**
 * A real fleet on one machine for e2e tests and the demo: a control plane (embedded aedes over TCP, SQLite
 * file) in a temp directory, enrolled agents with their own state directories, and helpers to register
 * models and roll them out through the public HTTP API — the same path an operator takes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Agent, createAgent } from '@edgefleet/agent';
import {
  type ControlPlane,
  createControlPlane,
  isActive,
  isRolloutState,
  type RolloutState,
} from '@edgefleet/control-plane';
import { waitFor } from '@edgefleet/test-kit';
import { type ApiClient, apiClient, expectStatus } from './api-client.js';

type AgentOptions = Parameters<typeof createAgent>[0];

export interface Fleet {
  readonly dir: string;
  readonly cp: ControlPlane;
  readonly api: ApiClient;
  readonly agents: Agent[];
  /** Enrols and starts one more agent in `group`; its state lives in `${dir}/agent-<n>`. */
  addAgent(options?: {
    group?: string;
    tags?: string[];
    stateDir?: string;
    overrides?: Partial<AgentOptions>;
  }): Promise<Agent>;
  /** The options an agent would be created with (for restarting one on the same state dir). */
  agentOptions(stateDir: string, overrides?: Partial<AgentOptions>): AgentOptions;
  close(): Promise<void>;
}

export interface FleetOptions {
  readonly agents?: number;
  readonly group?: string;
  readonly dir?: string;
  readonly controlPlane?: Partial<Parameters<typeof createControlPlane>[0]>;
  readonly agent?: Partial<AgentOptions>;
}

export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'edgefleet-')));
  const cp = await createControlPlane({
    dataDir: join(dir, 'control-plane'),
    httpPort: 0,
    mqttPort: 0,
    ...options.controlPlane,
  });
  const api = apiClient(cp.httpUrl, cp.adminToken);
  const agents: Agent[] = [];
  const defaultGroup = options.group ?? 'lab';

  const agentOptions = (stateDir: string, overrides: Partial<AgentOptions> = {}): AgentOptions => ({
    stateDir,
    rootPublicKeys: cp.rootPublicKeysHex,
    controlPlaneUrl: cp.httpUrl,
    ...options.agent,
    ...overrides,
  });

  const fleet: Fleet = {
    dir,
    cp,
    api,
    agents,
    agentOptions,
    async addAgent({ group = defaultGroup, tags = [], stateDir, overrides } = {}) {
      const token = await enrolmentToken(api, { group, tags });
      const agent = await createAgent(
        agentOptions(stateDir ?? join(dir, `agent-${agents.length}`), { enrolmentToken: token, ...overrides }),
      );
      agents.push(agent);
      return agent;
    },
    async close() {
      await Promise.allSettled(agents.map((a) => a.close()));
      await cp.close();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < (options.agents ?? 0); i++) await fleet.addAgent();
  return fleet;
}

/** A one-time enrolment token for `group` (and `tags`), minted through the API as an operator would. */
export async function enrolmentToken(api: ApiClient, options: { group: string; tags?: string[] }): Promise<string> {
  const body = { group: options.group, tags: options.tags ?? [] };
  return expectStatus(await api.post<{ token: string }>('/v1/enrolment-tokens', body), 201, 'create enrolment token')
    .token;
}

export interface RegisterModelOptions {
  readonly line: string;
  readonly model: Uint8Array;
  /** Tabular sample rows (one [1, F] float32 tensor each), or named sample tensors in `samples`. */
  readonly sampleInputs?: number[][];
  /** Named sample tensors `{ input: { dtype, dims, data: base64 } }` (models/real-models.ts `jsonSamples`). */
  readonly samples?: ReadonlyArray<Record<string, { dtype: string; dims: number[]; data: string }>>;
  /** Recurrent state pairs: `output` feeds `input` on a stream's next call. */
  readonly state?: ReadonlyArray<{ input: string; output: string }>;
  readonly version?: number;
  readonly quantization?: 'none' | 'int8';
  /** `mcu-int8` for a microcontroller image (firmware bridge); default onnx. */
  readonly runtime?: 'onnx' | 'mcu-int8';
  readonly chunkBytes?: number;
  readonly atol?: number;
  /**
   * Reference dataset for the drift profile (multipart part `reference`): tabular rows, or the summary
   * features of a reference set of named tensors (`driftFeatures`, with `samples` or `referenceSamples`).
   */
  readonly reference?:
    | { rows: number[][]; featureNames?: string[]; categorical?: number[] }
    | { driftFeatures: Record<string, unknown>; samples?: ReadonlyArray<Record<string, unknown>> };
  /** The drift reference set as a file (.npy, or CBOR `{ samples }`): multipart part `referenceSamples`. */
  readonly referenceSamples?: Uint8Array;
}

export interface RegisteredModel {
  readonly line: string;
  readonly version: number;
  readonly digest: string;
  readonly chunkCount: number;
}

export async function registerModel(api: ApiClient, options: RegisterModelOptions): Promise<RegisteredModel> {
  const { line, model, reference, referenceSamples, ...metadata } = options;
  const form = new FormData();
  form.set('model', new Blob([model], { type: 'application/octet-stream' }), `${line}.onnx`);
  form.set('metadata', JSON.stringify(metadata));
  if (reference !== undefined) form.set('reference', JSON.stringify(reference));
  if (referenceSamples !== undefined) {
    form.set('referenceSamples', new Blob([referenceSamples], { type: 'application/octet-stream' }), 'reference.cbor');
  }
  return expectStatus(await api.postForm<RegisteredModel>(`/v1/models/${line}/versions`, form), 201, 'register model');
}

/**
 * Starts a rollout, waits until every listed agent runs the version, then until the rollout has ended.
 * A device reporting the version does not end the rollout in the same instant (the control plane records
 * the report, then moves the member and completes the rollout on its tick); until then the devices are in
 * an active rollout of the line and the next rollout of it is refused with 409.
 */
export async function rolloutAndWait(
  fleet: Fleet,
  options: { line: string; version: number; group?: string; agents?: readonly Agent[]; timeoutMs?: number },
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const rollout = expectStatus(
    await fleet.api.post<{ id: string }>('/v1/rollouts', {
      line: options.line,
      version: options.version,
      group: options.group ?? 'lab',
    }),
    201,
    'create rollout',
  );
  for (const agent of options.agents ?? fleet.agents) {
    await waitFor(() => agent.installed().some((m) => m.line === options.line && m.version === options.version), {
      what: `${agent.deviceId} to run ${options.line} v${options.version}`,
      timeoutMs,
    });
  }
  await waitForRolloutEnd(fleet.api, rollout.id, { timeoutMs });
  return rollout.id;
}

/**
 * Waits until `GET /v1/rollouts/:id` shows an end state (completed, failed, rolled back, aborted: the
 * control plane's `isActive` is false) and returns it. A timeout names the rollout and the state it was
 * stuck in.
 */
export async function waitForRolloutEnd(
  api: ApiClient,
  rolloutId: string,
  options: { timeoutMs?: number } = {},
): Promise<RolloutState> {
  let last = 'no answer yet';
  try {
    return await waitFor(
      async () => {
        const { status, body } = await api.get<{ state: string }>(`/v1/rollouts/${encodeURIComponent(rolloutId)}`);
        last = status === 200 ? body.state : `HTTP ${status} ${JSON.stringify(body)}`;
        return status === 200 && isRolloutState(body.state) && !isActive(body.state) && body.state;
      },
      {
        what: `rollout ${rolloutId} to end (completed, failed, rolled-back or aborted)`,
        timeoutMs: options.timeoutMs ?? 20_000,
        intervalMs: 50,
      },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; it was last ${last}`, { cause: error });
  }
}
