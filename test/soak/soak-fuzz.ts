/**
 * `pnpm soak:fuzz` — the long variant of the parser fuzzers: 100,000 cases per target
 * (SOAK_CASES to change; SOAK_HTTP_CASES for the HTTP targets alone) — every MQTT topic's CBOR message, the three signed documents, the serial frame,
 * each JSON route of the control plane on its own, and the agent's local HTTP API. Writes
 * bench-results/soak-fuzz.json and exits non-zero on any crash or accepted invalid input.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CP_TO_DEVICE, DEVICE_TO_CP } from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { controlPlaneRoutes } from '../src/fuzz/control-plane-routes.js';
import { DOCUMENT_TARGETS } from '../src/fuzz/document-targets.js';
import { type FuzzResult, type FuzzTarget, runFuzzTarget } from '../src/fuzz/fuzz-target.js';
import { agentHttpTarget, controlPlaneTarget } from '../src/fuzz/http-targets.js';
import { serialTarget } from '../src/fuzz/serial-targets.js';
import { topicTarget } from '../src/fuzz/topic-targets.js';
import { registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const CASES = Number(process.env.SOAK_CASES ?? 100_000);
// HTTP cases cost ~2 ms each through auth, audit and SQLite: SOAK_HTTP_CASES bounds them separately.
const HTTP_CASES = Number(process.env.SOAK_HTTP_CASES ?? CASES);
const SEED = Number(process.env.SOAK_SEED ?? 2026);
const started = Date.now();
const results: FuzzResult[] = [];

async function run<T>(target: FuzzTarget<T>, cases = CASES): Promise<void> {
  const t0 = Date.now();
  const result = await runFuzzTarget(target, { numRuns: cases, seed: SEED });
  results.push(result);
  console.log(
    `${result.name}: ${result.cases} cases, ${result.accepted} accepted, ${result.crashes} crashes, ` +
      `${result.acceptedInvalid} accepted invalid (${Math.round((Date.now() - t0) / 1000)} s)` +
      (result.finding === undefined ? '' : ` — ${result.finding}`),
  );
}

for (const kind of [...DEVICE_TO_CP, ...CP_TO_DEVICE]) await run(topicTarget(kind));
for (const target of Object.values(DOCUMENT_TARGETS)) await run(target());
await run(serialTarget());

const iris = buildIrisModels({ seed: 1 });
const fleet = await startFleet({ agents: 1, agent: { httpApi: { port: 0 } } });
try {
  await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
  const rolloutId = await rolloutAndWait(fleet, { line: 'iris', version: 1 });
  for (const route of controlPlaneRoutes(rolloutId)) await run(await controlPlaneTarget(fleet.cp, [route]), HTTP_CASES);
  await run(agentHttpTarget({ url: fleet.agents[0]!.httpUrl!, line: 'iris', features: 4 }), HTTP_CASES);
} finally {
  await fleet.close();
}

const failures = results.filter((r) => r.crashes + r.acceptedInvalid > 0);
const report = {
  benchmark: 'soak-fuzz',
  seed: SEED,
  casesPerTarget: CASES,
  casesPerHttpTarget: HTTP_CASES,
  targets: results.length,
  totalCases: results.reduce((n, r) => n + r.cases, 0),
  crashes: results.reduce((n, r) => n + r.crashes, 0),
  acceptedInvalid: results.reduce((n, r) => n + r.acceptedInvalid, 0),
  durationSec: Math.round((Date.now() - started) / 1000),
  results,
};
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'soak-fuzz.json'), `${JSON.stringify(report, null, 2)}\n`);
process.exit(failures.length === 0 ? 0 : 1);
