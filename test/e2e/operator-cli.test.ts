import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinaryRun, type Fleet, freePort, runBinary, startFleet, waitFor } from '../src/index.js';

/** The real `edgefleet` binary, run the way an operator runs it: a child process talking HTTP. */
const BIN = fileURLToPath(new URL('../../control-plane/bin/edgefleet.js', import.meta.url));

let fleet: Fleet;
let dir: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<BinaryRun> {
  return runBinary(BIN, args, {
    env: {
      PATH: process.env.PATH ?? '',
      EDGEFLEET_CONFIG: join(dir, 'config.json'),
      EDGEFLEET_SERVER: fleet.cp.httpUrl,
      EDGEFLEET_TOKEN: fleet.cp.adminToken,
      ...env,
    },
  });
}

const iris = buildIrisModels({ seed: 42 });

beforeAll(async () => {
  fleet = await startFleet({ agents: 2, controlPlane: { rollouts: { tickMs: 100 } } });
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-cli-'));
  await writeFile(join(dir, 'iris.onnx'), iris.fp32);
  await writeFile(join(dir, 'samples.json'), JSON.stringify({ sampleInputs: iris.meta.sampleInputs.slice(0, 4) }));
}, 60_000);
afterAll(async () => {
  await fleet.close();
  await rm(dir, { recursive: true, force: true });
});

describe('edgefleet CLI against a running control plane', () => {
  it('pushes a model, rolls it out in two waves and watches it complete', async () => {
    const push = await cli([
      'models',
      'push',
      join(dir, 'iris.onnx'),
      '--line',
      'iris',
      '--samples',
      join(dir, 'samples.json'),
      '--json',
    ]);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ line: 'iris', version: 1 });

    await waitFor(
      async () => ((await fleet.api.get('/v1/devices')).body as { online: boolean }[]).every((d) => d.online),
      { what: 'both devices online' },
    );
    const devices = await cli(['devices', 'ls', '--json']);
    expect(devices.code).toBe(0);
    expect((JSON.parse(devices.stdout) as { online: boolean }[]).filter((d) => d.online)).toHaveLength(2);

    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      [
        'line: iris',
        'version: 1',
        'selector: { group: lab }',
        'waves:',
        '  - percent: 50',
        '  - percent: 100',
        'observationMs: 200',
        'installTimeoutMs: 20000',
        '',
      ].join('\n'),
    );
    const run = await cli(['rollouts', 'create', plan, '--watch', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const final = lines.at(-1) as { type: string; rollout: { state: string; counts: { installed: number } } };
    expect(final.type).toBe('final');
    expect(final.rollout.state).toBe('completed');
    expect(final.rollout.counts.installed).toBe(2);
    expect(lines.some((l) => l.type === 'rollout.wave' || l.type === 'rollout.transition')).toBe(true);

    const table = await cli(['rollouts', 'ls']);
    expect(table.stdout).toMatch(/^ID\s+MODEL\s+STATE/);
    expect(table.stdout).toContain('iris@1');
    expect(table.stdout).toContain('completed');
    const audit = await cli(['audit', 'ls', '--json']);
    expect((JSON.parse(audit.stdout) as { action: string }[]).map((e) => e.action)).toContain('rollouts.create');
  });

  it('exits 4 on a refused action and 1 when the watched rollout ends aborted', async () => {
    const [first] = JSON.parse((await cli(['rollouts', 'ls', '--json'])).stdout) as { id: string }[];
    const rollback = await cli(['rollouts', 'rollback', first?.id ?? '']);
    expect(rollback.code).toBe(4);
    expect(rollback.stderr).toContain('no champion version to roll back to (CONFLICT)');

    const v2 = ['models', 'push', join(dir, 'iris.onnx'), '--line', 'iris', '--samples', join(dir, 'samples.json')];
    expect((await cli(v2)).code).toBe(0);
    const plan = join(dir, 'manual.json');
    await writeFile(
      plan,
      JSON.stringify({
        line: 'iris',
        version: 2,
        selector: { group: 'lab' },
        waves: [{ percent: 50 }, { percent: 100 }],
        observationMs: 100,
        autoAdvance: false,
      }),
    );
    const created = await cli(['rollouts', 'create', plan, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const watching = cli(['rollouts', 'watch', id, '--json']);
    await waitFor(
      async () => (await fleet.api.get<{ state: string }>(`/v1/rollouts/${id}`)).body.state === 'awaiting-approval',
      {
        what: 'the first wave to wait for approval',
      },
    );
    expect((await cli(['rollouts', 'abort', id, '--reason', 'cli test'])).code).toBe(0);
    const watch = await watching;
    expect(watch.code, watch.stderr).toBe(1);
    const final = JSON.parse(watch.stdout.trim().split('\n').at(-1) ?? '{}') as { rollout: { state: string } };
    expect(final.rollout.state).toBe('aborted');
  });

  it('lists federated jobs and refuses an invalid job file by field and line', async () => {
    const jobs = await cli(['fl', 'rounds', 'ls', '--json']);
    expect(jobs.code).toBe(0);
    expect(JSON.parse(jobs.stdout)).toEqual([]);
    const job = join(dir, 'job.yaml');
    await writeFile(
      job,
      [
        'line: iris',
        'selector: { group: lab }',
        'spec: { kind: mlp, layers: [4, 8, 3], activation: relu }',
        'init: { seed: 1 }',
        `evalSet: ${'a'.repeat(64)}`,
        'strategy:',
        '  name: fedsomething',
        '',
      ].join('\n'),
    );
    const run = await cli(['fl', 'rounds', 'start', job]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${job}:7:9: strategy.name`);
  });

  it('refuses a wrong token with a clear message and exit code 2', async () => {
    const run = await cli(['models', 'ls'], { EDGEFLEET_TOKEN: 'eft_wrong' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('AUTH_REQUIRED');
    expect(run.stderr).toContain('edgefleet login --token');
  });

  it('points at the field and line of an invalid plan file, exit code 2, nothing sent', async () => {
    const plan = join(dir, 'bad-plan.yaml');
    await writeFile(
      plan,
      [
        'line: iris',
        'version: 2',
        'selector:',
        '  group: lab',
        'waves:',
        '  - percent: 60',
        '  - percent: 40',
        '',
      ].join('\n'),
    );
    const run = await cli(['rollouts', 'create', plan]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${plan}:7:`);
    expect(run.stderr).toContain('waves.1.percent');
    expect(run.stderr).toContain('percentages must strictly increase');
    const listed = await cli(['rollouts', 'ls', '--json']);
    expect((JSON.parse(listed.stdout) as { version: number }[]).some((r) => r.version === 3)).toBe(false);
  });

  it('exits 3 when the control plane cannot be reached', async () => {
    const run = await cli(['devices', 'ls'], { EDGEFLEET_SERVER: `http://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('SERVER_UNREACHABLE');
  });

  it('stores the server and token at login (mode 0600) and uses them afterwards', async () => {
    const env = { EDGEFLEET_SERVER: '', EDGEFLEET_TOKEN: '' };
    const login = await cli(['login', '--server', fleet.cp.httpUrl, '--token', fleet.cp.adminToken], env);
    expect(login.code, login.stderr).toBe(0);
    const file = join(dir, 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ server: fleet.cp.httpUrl, token: fleet.cp.adminToken });
    const models = await cli(['models', 'ls', '--json'], env);
    expect(models.code).toBe(0);
    // v1, and v2: the rollback's re-signed copy of the champion's content.
    expect(JSON.parse(models.stdout)).toEqual([{ line: 'iris', latestVersion: 2, versionCount: 2 }]);
  });

  it('revokes and rotates API tokens, lists and revokes enrolment tokens, and revokes a device', async () => {
    const created = await cli(['tokens', 'create', 'cli-bot', '--role', 'viewer']);
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect((await cli(['devices', 'ls'], { EDGEFLEET_TOKEN: secret })).code).toBe(0);
    const rotated = await cli(['tokens', 'rotate', 'cli-bot', '--json']);
    const fresh = (JSON.parse(rotated.stdout) as { token: string }).token;
    expect((await cli(['devices', 'ls'], { EDGEFLEET_TOKEN: secret })).code).not.toBe(0);
    expect((await cli(['devices', 'ls'], { EDGEFLEET_TOKEN: fresh })).code).toBe(0);
    expect((await cli(['tokens', 'ls'])).stdout).toMatch(/cli-bot\s+viewer/);
    expect((await cli(['tokens', 'revoke', 'cli-bot'])).stdout.trim()).toBe('revoked cli-bot');
    expect((await cli(['devices', 'ls'], { EDGEFLEET_TOKEN: fresh })).code).not.toBe(0);

    await cli(['devices', 'enrol', '--group', 'lab', '--ttl', '600']);
    const tokens = JSON.parse((await cli(['devices', 'tokens', '--json'])).stdout) as { id: string; state: string }[];
    const usable = tokens.find((t) => t.state === 'usable');
    expect(usable).toBeDefined();
    const revokedToken = await cli(['devices', 'revoke-token', usable!.id]);
    expect(revokedToken.stdout.trim()).toBe(`enrolment token ${usable!.id} revoked`);

    const victim = (fleet.agents[1] as Fleet['agents'][number]).deviceId;
    const revoked = await cli(['devices', 'revoke', victim]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${victim}`);
    expect((await cli(['devices', 'ls'])).stdout).toMatch(new RegExp(`${victim}.*revoked`));
  });
});
