/**
 * Runs a federated experiment on a simulated fleet made of the real components: an embedded control plane
 * (aedes + SQLite in a temp dir) and N real agents in this process, each enrolled over HTTP, connected over
 * MQTT and holding its partition of the training set in its own sample store. The job goes through the
 * coordinator exactly as on a real fleet — tasks, weight fetches, tfjs training on each agent, updates,
 * aggregation, evaluation on the held-out split — and the result (per-round accuracy, participants, time,
 * the registered version) is returned and written as JSON. Progress is reported per round.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Agent, createAgent } from '@edgefleet/agent';
import { createControlPlane, encodeEvalSet, type JobView } from '@edgefleet/control-plane';
import { pino } from 'pino';
import { irisSplit } from '../datasets/iris.js';
import { type LabelledImages, mnistSplit } from '../datasets/mnist.js';
import { iidPartition, shardPartition } from '../datasets/partitions.js';
import type { Experiment } from './experiment-config.js';

export interface RoundProgress {
  readonly round: number;
  readonly rounds: number;
  readonly accuracy: number;
  readonly participants: number;
  readonly elapsedMs: number;
}

export interface ExperimentResult {
  readonly name: string;
  readonly dataset: Experiment['dataset'];
  readonly clients: number;
  readonly partition: Experiment['partition'];
  readonly job: JobView['config'];
  readonly state: JobView['state'];
  readonly rounds: { round: number; attempt: number; state: string; metrics: Record<string, unknown> }[];
  readonly bestAccuracy: number | null;
  readonly registeredVersion: number | null;
  readonly wallMs: number;
}

function dataOf(experiment: Experiment) {
  const split = experiment.dataset === 'mnist' ? mnistSplit() : irisSplit({ seed: experiment.seed });
  const features = split.train.x.length / split.train.n;
  const n = Math.min(experiment.trainRows ?? split.train.n, split.train.n);
  const parts =
    experiment.partition === 'iid'
      ? iidPartition({ n, clients: experiment.clients, seed: experiment.seed })
      : shardPartition({
          labels: split.train.y.subarray(0, n),
          clients: experiment.clients,
          shardsPerClient: experiment.shardsPerClient,
          seed: experiment.seed,
        });
  return { split, features, parts };
}

function rowsOf(set: LabelledImages, features: number, indices: readonly number[]) {
  return indices.map((i) => ({
    features: Array.from(set.x.subarray(i * features, (i + 1) * features)),
    label: set.y[i] as number,
  }));
}

export async function runExperiment(
  experiment: Experiment,
  options: { onProgress?: (progress: RoundProgress) => void; onStatus?: (line: string) => void } = {},
): Promise<ExperimentResult> {
  const started = Date.now();
  const status = options.onStatus ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-fl-'));
  const logger = pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'warn' });
  const cp = await createControlPlane({ dataDir: join(dir, 'control-plane'), httpPort: 0, mqttPort: 0, logger });
  const agents: Agent[] = [];
  try {
    const { split, features, parts } = dataOf(experiment);
    status(
      `${experiment.clients} clients, ${experiment.partition} partition of ${parts.flat().length} ${experiment.dataset} rows`,
    );
    const api = (path: string, body: unknown) =>
      fetch(`${cp.httpUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    for (const [k, indices] of parts.entries()) {
      const minted = await api('/v1/enrolment-tokens', { group: 'sim' });
      const agent = await createAgent({
        stateDir: join(dir, `client-${k}`),
        rootPublicKeys: cp.rootPublicKeysHex,
        controlPlaneUrl: cp.httpUrl,
        enrolmentToken: minted.body.token as string,
        logger,
        fl: { minSamples: 1, maxSamples: Math.max(indices.length, 1) },
      });
      agent.samples.add(experiment.name, { rows: rowsOf(split.train, features, indices) });
      agents.push(agent);
    }
    status(`${agents.length} agents enrolled and holding their samples`);
    const evalSet = await cp.fl.uploadEvalSet(encodeEvalSet({ x: split.test.x, y: split.test.y, features }));
    const body = {
      seed: experiment.seed,
      ...experiment.job,
      line: experiment.name,
      selector: { group: 'sim' },
      evalSet: evalSet.digest,
    };
    const created = await api('/v1/fl/jobs', body);
    if (created.status !== 201)
      throw new Error(`the job was refused: ${JSON.stringify(created.body.error ?? created.body)}`);
    const jobId = created.body.id as string;
    const rounds = (created.body.config as { rounds: number }).rounds;
    cp.rollouts.on('event', (event) => {
      if (event.type !== 'fl.round' || event.jobId !== jobId || event.state !== 'completed') return;
      const metrics = event.metrics as { accuracy: number; participants: number };
      options.onProgress?.({
        round: event.round as number,
        rounds,
        accuracy: metrics.accuracy,
        participants: metrics.participants,
        elapsedMs: Date.now() - started,
      });
    });
    const job = await cp.fl.settled(jobId);
    return {
      name: experiment.name,
      dataset: experiment.dataset,
      clients: experiment.clients,
      partition: experiment.partition,
      job: job.config,
      state: job.state,
      rounds: job.rounds.map((r) => ({ round: r.round, attempt: r.attempt, state: r.state, metrics: r.metrics })),
      bestAccuracy: job.bestAccuracy,
      registeredVersion: job.registeredVersion,
      wallMs: Date.now() - started,
    };
  } finally {
    await Promise.allSettled(agents.map((a) => a.close()));
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  }
}
