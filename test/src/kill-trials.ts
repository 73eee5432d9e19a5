/**
 * kill -9 trials (DESIGN.md §4 Install): a real agent process is killed with SIGKILL at a seeded
 * random point of an update, drawn over its byte and phase timeline: 60 % of the kills land after a random
 * number of chunks was served (0 = before the fetch starts), the rest at a random delay after the last chunk,
 * over 1.5× the measured span from the last chunk to the pointer switch (verify, slot write, self-test). Its state directory is then checked while it
 * is down, and it is restarted. A trial passes when: the active slot pointer names a complete slot whose bundle
 * hashes to the pointer's digest and whose manifest carries a valid targets signature for that version and
 * digest (never a half-written slot); the restarted process answers its first prediction with a verified
 * model, exactly as raw onnxruntime computes it; and it then converges to the rollout's target. Shared by
 * the e2e test (10 trials) and `pnpm soak:kill` (240).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeCbor,
  manifestBodySchema,
  type RootKeys,
  sha256Hex,
  signedDocumentSchema,
  verifyDocument,
} from '@edgefleet/protocol';
import { freePort, waitFor } from '@edgefleet/test-kit';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { type AgentProcess, startAgentProcess, writeAgentConfig } from './agent-process.js';
import { expectStatus } from './api-client.js';
import type { Fleet } from './fleet.js';
import { registerModel, waitForRolloutEnd } from './fleet.js';
import { rawIrisProbabilities } from './raw-iris.js';
import { seededRandom } from './seeded-random.js';

/** Where the update was when the kill landed (from the chunks served and the pointer). */
export type KillPhase = 'before-fetch' | 'mid-fetch' | 'verify-install' | 'after-install';

export interface TrialResult {
  readonly trial: number;
  /** Chunks served before the kill, or the delay after the last chunk. */
  readonly killAt: { readonly chunk: number } | { readonly msAfterFetch: number };
  readonly phase: KillPhase;
  readonly servedAfterRestart: number;
  readonly error?: string;
}

export interface KillTrialsReport {
  readonly trials: number;
  readonly failures: number;
  readonly seed: number;
  /** The measured span from the last chunk served to the pointer switch, × 1.5. */
  readonly installSpanMs: number;
  readonly phases: Record<KillPhase, number>;
  readonly results: readonly TrialResult[];
}

// Two contents the versions alternate between: every trial installs bytes that differ from the running ones.
const CONTENTS = [1, 2].map((seed) => buildIrisModels({ seed, hidden: 1024, epochs: 3 }));
const PROBE = CONTENTS[0]!.meta.testSet.features.slice(0, 3);
const CHUNK_BYTES = 1024;

const rawOutputs = (model: Uint8Array) => rawIrisProbabilities(model, PROBE);

interface Pointer {
  version: number;
  digest: string;
  dir: string;
}

/** The on-disk check while the process is down: the pointer names a complete, verified, signed slot. */
async function verifiedSlot(stateDir: string, targets: RootKeys['targets']): Promise<Pointer> {
  const lineDir = join(stateDir, 'slots', 'iris');
  const pointer = JSON.parse(await readFile(join(lineDir, 'current.json'), 'utf8')) as Pointer;
  const model = await readFile(join(lineDir, pointer.dir, 'model.onnx'));
  if (sha256Hex(model) !== pointer.digest) throw new Error(`slot ${pointer.dir} does not hash to its digest`);
  const doc = decodeCbor(await readFile(join(lineDir, pointer.dir, 'manifest.cbor')), signedDocumentSchema);
  const role = { keys: new Map(targets.map((k) => [k.keyId, k.publicKey])), threshold: 1 };
  const manifest = verifyDocument(doc, role, manifestBodySchema);
  if (manifest.digest !== pointer.digest || manifest.version !== pointer.version) {
    throw new Error(`slot ${pointer.dir}: manifest says v${manifest.version}, pointer v${pointer.version}`);
  }
  return pointer;
}

async function predict(url: string): Promise<{ status: number; body: { version?: number; outputs?: number[][] } }> {
  const res = await fetch(`${url}/v1/models/iris/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: PROBE }),
  });
  return { status: res.status, body: (await res.json()) as { version?: number; outputs?: number[][] } };
}

/** The first answer of a freshly started process (connection refused until it listens). */
async function firstAnswer(url: string) {
  return waitFor(() => predict(url).catch(() => undefined), {
    what: 'the restarted agent to answer',
    timeoutMs: 30_000,
    intervalMs: 20,
  });
}

export async function runKillTrials(options: {
  fleet: Fleet;
  keys: RootKeys;
  trials: number;
  seed: number;
  onTrial?: (result: TrialResult) => void;
}): Promise<KillTrialsReport> {
  const { fleet, keys } = options;
  const random = seededRandom(options.seed);
  const expected = await Promise.all(CONTENTS.map((c) => rawOutputs(c.fp32)));
  const versions = new Map<number, number>(); // version → content index
  const register = async (content: number) => {
    const m = CONTENTS[content]!;
    const r = await registerModel(fleet.api, {
      line: 'iris',
      model: m.fp32,
      sampleInputs: m.meta.sampleInputs,
      chunkBytes: CHUNK_BYTES,
    });
    versions.set(r.version, content);
    return r;
  };

  const token = expectStatus(await fleet.api.post('/v1/enrolment-tokens', { group: 'lab' }), 201, 'token').token;
  const stateDir = join(fleet.dir, 'kill-agent');
  const configPath = join(fleet.dir, 'kill-agent.json');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await writeAgentConfig(configPath, {
    stateDir,
    rootPublicKeys: fleet.cp.rootPublicKeysHex,
    controlPlaneUrl: fleet.cp.httpUrl,
    enrolmentToken: token,
    httpApi: { port },
    logLevel: 'warn',
    fetch: { windowChunks: 2 },
  });
  let agent: AgentProcess = startAgentProcess(configPath);
  try {
    const deviceId = await waitFor(
      async () =>
        (await fleet.api.get<Array<{ deviceId: string; online: boolean }>>('/v1/devices')).body.find((d) => d.online)
          ?.deviceId,
      { what: 'the agent process to enrol and connect', timeoutMs: 30_000 },
    );
    // The previous rollout ends once the control plane has seen the device's report, a moment after the
    // device runs the version; until then the device is in an active rollout of iris and a new one is
    // refused (409). Each rollout therefore starts when the one before it has ended.
    let previous: string | undefined;
    const rollout = async (version: number) => {
      if (previous !== undefined) await waitForRolloutEnd(fleet.api, previous, { timeoutMs: 30_000 });
      const body = { line: 'iris', version, group: 'lab' };
      previous = expectStatus(
        await fleet.api.post<{ id: string }>('/v1/rollouts', body),
        201,
        `rollout of v${version}`,
      ).id;
    };
    const served = () => fleet.cp.metrics.snapshot().chunksServedByDevice[deviceId] ?? 0;
    const converge = (version: number) =>
      waitFor(async () => (await predict(url).catch(() => undefined))?.body.version === version, {
        what: `the agent to run v${version}`,
        timeoutMs: 60_000,
        intervalMs: 10,
      });

    // The unkilled first install measures the verify + install span, over which the later kills are drawn.
    const first = await register(0);
    await rollout(first.version);
    await waitFor(() => served() >= first.chunkCount, { what: 'the first fetch', timeoutMs: 30_000, intervalMs: 1 });
    const fetchedAt = performance.now();
    const pointerVersion = () =>
      readFile(join(stateDir, 'slots', 'iris', 'current.json'), 'utf8').then(
        (text) => (JSON.parse(text) as Pointer).version,
        () => undefined,
      );
    await waitFor(async () => (await pointerVersion()) === first.version, {
      what: 'the first install',
      timeoutMs: 30_000,
      intervalMs: 1,
    });
    const installSpanMs = Math.max(20, Math.round((performance.now() - fetchedAt) * 1.5));
    await converge(first.version);

    const phases: Record<KillPhase, number> = {
      'before-fetch': 0,
      'mid-fetch': 0,
      'verify-install': 0,
      'after-install': 0,
    };
    const results: TrialResult[] = [];
    let running = first.version;
    for (let trial = 0; trial < options.trials; trial++) {
      const target = await register(trial % 2 === 0 ? 1 : 0);
      const u = random();
      const killAt =
        u < 0.6
          ? { chunk: Math.floor((u / 0.6) * target.chunkCount) }
          : { msAfterFetch: Math.round(((u - 0.6) / 0.4) * installSpanMs) };
      const servedBefore = served();
      await rollout(target.version);
      const chunks = 'chunk' in killAt ? killAt.chunk : target.chunkCount;
      await waitFor(() => served() - servedBefore >= chunks, {
        what: 'the kill point',
        timeoutMs: 30_000,
        intervalMs: 1,
      });
      if ('msAfterFetch' in killAt) await new Promise((resolve) => setTimeout(resolve, killAt.msAfterFetch));
      await agent.kill('SIGKILL');
      await fleet.cp.drain();
      const servedAtKill = served() - servedBefore;
      let phase: KillPhase =
        servedAtKill === 0 ? 'before-fetch' : servedAtKill < target.chunkCount ? 'mid-fetch' : 'verify-install';
      let error: string | undefined;
      try {
        const pointer = await verifiedSlot(stateDir, keys.targets);
        if (pointer.version !== running && pointer.version !== target.version) {
          throw new Error(`pointer names v${pointer.version}, neither the running v${running} nor the target`);
        }
        if (pointer.version === target.version) phase = 'after-install';
        agent = startAgentProcess(configPath);
        const answer = await firstAnswer(url);
        if (answer.status !== 200) throw new Error(`first answer after restart: ${answer.status}`);
        const version = answer.body.version as number;
        if (version !== pointer.version && version !== target.version) {
          throw new Error(`restarted agent serves v${version}, pointer said v${pointer.version}`);
        }
        const want = expected[versions.get(version) as number];
        if (JSON.stringify(answer.body.outputs?.flat()) !== JSON.stringify(want)) {
          throw new Error(`v${version} answers differently from raw onnxruntime`);
        }
        await converge(target.version);
        running = target.version;
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        if (agent.child.exitCode !== null || agent.child.signalCode !== null) agent = startAgentProcess(configPath);
        await converge(target.version).catch(() => undefined);
        running = (await predict(url).catch(() => undefined))?.body.version ?? running;
      }
      phases[phase]++;
      const result: TrialResult = {
        trial,
        killAt,
        phase,
        servedAfterRestart: served() - servedBefore - servedAtKill,
        ...(error === undefined ? {} : { error }),
      };
      results.push(result);
      options.onTrial?.(result);
    }
    return {
      trials: options.trials,
      failures: results.filter((r) => r.error !== undefined).length,
      seed: options.seed,
      installSpanMs,
      phases,
      results,
    };
  } finally {
    await agent.kill('SIGKILL');
  }
}
