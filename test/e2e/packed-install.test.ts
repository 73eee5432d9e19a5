/**
 * The packages as a user gets them: packed with `pnpm pack` (which builds them first and rewrites
 * `workspace:*` to versions) and installed with npm from the tarballs alone into an empty directory — no
 * workspace, no tsx. The installed binaries then do the README's walk-through: a control plane, a model
 * pushed with the `edgefleet` CLI, an enrolment token, an agent that enrols, a rollout watched to its end, and
 * a prediction from the agent's local HTTP API that must equal raw onnxruntime's.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runBinary, tempDirs, waitFor } from '@edgefleet/test-kit';
import { buildIrisModels, writeIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess, writeAgentConfig } from '../src/agent-process.js';
import { type ControlPlaneProcess, startControlPlaneProcess } from '../src/control-plane-process.js';
import { rawIrisProbabilities } from '../src/raw-iris.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PUBLIC_PACKAGES = ['protocol', 'agent', 'control-plane', 'firmware-bridge', 'simulator'];
const PNPM = ['-y', 'pnpm@10.34.9'];
const iris = buildIrisModels();

function sh(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs: number },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the packed packages, installed with npm outside the workspace', () => {
  const dirs = tempDirs();
  let cp: ControlPlaneProcess | undefined;
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.kill();
    await cp?.kill();
    agent = undefined;
    cp = undefined;
    await dirs.cleanup();
  });

  it('run a control plane, the CLI and an agent that serves a rolled-out model', async () => {
    const packs = await dirs.make();
    for (const pkg of PUBLIC_PACKAGES) {
      const pack = await sh('npx', [...PNPM, 'pack', '--pack-destination', packs], {
        cwd: join(ROOT, pkg),
        timeoutMs: 180_000,
      });
      expect(pack.code, pack.output).toBe(0);
    }
    const tarballs = (await readdir(packs)).filter((f) => f.endsWith('.tgz')).map((f) => join(packs, f));
    expect(tarballs).toHaveLength(PUBLIC_PACKAGES.length);

    const app = await dirs.make();
    await writeFile(join(app, 'package.json'), '{ "private": true }\n');
    const install = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], {
      cwd: app,
      env: { ONNXRUNTIME_NODE_INSTALL: 'skip' },
      timeoutMs: 480_000,
    });
    expect(install.code, install.output).toBe(0);
    // Nothing may reach a TypeScript loader: not installed here, and not resolvable from here either.
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(() => createRequire(join(app, 'package.json')).resolve('tsx')).toThrow();
    const bin = (name: string) => join(app, 'node_modules', '.bin', name);

    const [httpPort, mqttPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    const data = await dirs.make();
    cp = await startControlPlaneProcess({
      bin: bin('edgefleet-control-plane'),
      args: ['--data-dir', join(data, 'cp'), '--http-port', String(httpPort), '--mqtt-port', String(mqttPort)],
    });
    const adminToken = (await readFile(join(data, 'cp', 'admin-token'), 'utf8')).trim();
    const cli = async (args: string[]) => {
      const run = await runBinary(bin('edgefleet'), args, {
        env: {
          PATH: process.env.PATH ?? '',
          EDGEFLEET_CONFIG: join(data, 'cli.json'),
          EDGEFLEET_SERVER: cp!.httpUrl,
          EDGEFLEET_TOKEN: adminToken,
        },
        timeoutMs: 120_000,
      });
      expect(run.code, `edgefleet ${args.join(' ')}:\n${run.stdout}${run.stderr}`).toBe(0);
      return run.stdout;
    };

    const models = await writeIrisModels(join(data, 'models'));
    const pushed = JSON.parse(
      await cli(['models', 'push', models.fp32Path, '--line', 'iris', '--samples', models.metaPath, '--json']),
    ) as { line: string; version: number };
    expect(pushed).toMatchObject({ line: 'iris', version: 1 });
    const enrolmentToken = (await cli(['devices', 'enrol', '--group', 'lab'])).split('\n')[0]!.trim();

    const configPath = join(data, 'agent.json');
    await writeAgentConfig(configPath, {
      stateDir: join(data, 'agent'),
      rootPublicKeys: cp.rootPublicKeysHex,
      controlPlaneUrl: cp.httpUrl,
      enrolmentToken,
      httpApi: { port: agentPort },
    });
    const started = startAgentProcess(configPath, { bin: bin('edgefleet-agent') });
    agent = started;
    const agentUrl = `http://127.0.0.1:${agentPort}`;
    // An agent that cannot start (a missing module, say) fails the test at once, with what it printed.
    const outcome = await Promise.race([
      waitFor(async () => (await fetch(`${agentUrl}/v1/health`)).ok, {
        what: 'the installed agent to enrol and serve',
        timeoutMs: 60_000,
      }).then(() => 'serving'),
      started.exited.then((code) => `exited with ${code}`),
    ]);
    expect(outcome, started.output()).toBe('serving');

    const plan = join(data, 'plan.yaml');
    await writeFile(
      plan,
      '{ line: iris, version: 1, selector: { group: lab }, waves: [{ percent: 100 }], observationMs: 0 }\n',
    );
    await cli(['rollouts', 'create', plan, '--watch']);

    const rows = iris.meta.testSet.features.slice(0, 5);
    const response = await fetch(`${agentUrl}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: rows }),
    });
    expect(response.status).toBe(200);
    const prediction = (await response.json()) as { version: number; outputs: number[][] };
    expect(prediction.version).toBe(1);
    expect(prediction.outputs.flat()).toEqual(await rawIrisProbabilities(iris.fp32, rows));
  }, 900_000);
});
