/**
 * `edgefleet rollouts create <plan.yaml> [--watch] | ls | status <id> | watch <id> |
 * pause|resume|abort|approve|rollback <id> [--reason]`. `watch` follows the event stream and re-reads the
 * rollout on each of its events until it settles: exit 0 when it completed, 1 when it rolled back, failed or
 * was aborted — so `edgefleet rollouts create plan.yaml --watch && deploy-next` does the right thing.
 */
import type { Command } from 'commander';
import { ROLLOUT_ACTIONS } from '../../http/routes/rollout-routes.js';
import { planSchema } from '../../rollouts/plan.js';
import type { RolloutView } from '../../rollouts/rollout-view.js';
import { type CliContext, EXIT } from '../context.js';
import type { HttpClient } from '../http-client.js';
import { readInputFile } from '../input-file.js';
import type { Output } from '../output.js';
import { table, time } from '../output.js';

const SETTLED: Readonly<Record<string, number>> = {
  completed: EXIT.ok,
  failed: EXIT.failed,
  'rolled-back': EXIT.failed,
  aborted: EXIT.failed,
};
/** Re-read the rollout at least this often while watching, should an event be missed. */
const WATCH_POLL_MS = 5_000;

function summary(r: RolloutView): string {
  const waves = r.waves
    .map(
      (w) =>
        `  wave ${w.index} (${w.mode}) ${w.state}: ${w.counts.installed}/${w.devices.length} installed${
          w.gates.length === 0 ? '' : `; gates ${w.gates.map((g) => `${g.gate}=${g.outcome}`).join(' ')}`
        }`,
    )
    .join('\n');
  return `${r.id}  ${r.line}@${r.version}  ${r.state}  wave ${r.currentWave + 1}/${r.waves.length}  installed ${r.counts.installed}/${r.devices.length} failed ${r.counts.failed} offline ${r.offline}${waves === '' ? '' : `\n${waves}`}`;
}

function describeEvent(event: Record<string, unknown>): string {
  const rest = Object.entries(event)
    .filter(([k]) => !['type', 'at', 'rolloutId'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${time(event.at as number)}  ${String(event.type)}  ${rest}`;
}

async function watch(client: HttpClient, out: Output, id: string): Promise<number> {
  const abort = new AbortController();
  const stream = client.events(abort.signal);
  try {
    // Subscribe first, then read the state: nothing that happens in between is missed.
    const ready = await stream.next();
    if (ready.done === true) return EXIT.refused;
    let view = await client.get<RolloutView>(`/v1/rollouts/${encodeURIComponent(id)}`);
    out.line({ type: 'status', rollout: view }, summary(view));
    let poll: NodeJS.Timeout | undefined;
    while (SETTLED[view.state] === undefined) {
      const next = await Promise.race([
        stream.next(),
        new Promise<'poll'>((resolve) => {
          poll = setTimeout(() => resolve('poll'), WATCH_POLL_MS);
        }),
      ]);
      clearTimeout(poll);
      if (next !== 'poll') {
        if (next.done === true) break;
        const event = next.value.data as Record<string, unknown>;
        if (event.rolloutId !== id) continue;
        out.line(event, describeEvent(event));
      }
      view = await client.get<RolloutView>(`/v1/rollouts/${encodeURIComponent(id)}`);
    }
    out.line({ type: 'final', rollout: view }, summary(view));
    return SETTLED[view.state] ?? EXIT.refused;
  } finally {
    abort.abort();
    await stream.return(undefined);
  }
}

export function registerRolloutCommands(program: Command, ctx: CliContext): void {
  const rollouts = program.command('rollouts').description('staged rollouts');
  rollouts
    .command('create <planFile>')
    .description('start a staged rollout from a YAML/JSON plan')
    .option('--watch', 'follow it until it settles (exit 0 completed, 1 rolled back/failed/aborted)')
    .action(async (planFile: string, opts: { watch?: boolean }) => {
      const { raw } = readInputFile(planFile, planSchema);
      const client = ctx.client();
      const out = ctx.output();
      const created = await client.post<RolloutView>('/v1/rollouts', raw);
      if (opts.watch === true) {
        process.exitCode = await watch(client, out, created.id);
        return;
      }
      out.result(created, () => summary(created));
    });
  rollouts
    .command('ls')
    .description('rollouts, newest first')
    .action(async () => {
      const rows = await ctx.client().get<RolloutView[]>('/v1/rollouts');
      ctx.output().result(rows, () =>
        table(
          rows.map((r) => ({
            id: r.id,
            model: `${r.line}@${r.version}`,
            state: r.state,
            wave: `${r.currentWave + 1}/${r.waves.length}`,
            installed: `${r.counts.installed}/${r.devices.length}`,
            created: time(r.createdAt),
          })),
          ['id', 'model', 'state', 'wave', 'installed', 'created'],
        ),
      );
    });
  rollouts
    .command('status <id>')
    .description('state, waves, gate results')
    .action(async (id: string) => {
      const view = await ctx.client().get<RolloutView>(`/v1/rollouts/${encodeURIComponent(id)}`);
      ctx.output().result(view, () => summary(view));
    });
  rollouts
    .command('watch <id>')
    .description('follow a rollout until it settles (exit 0 completed, 1 rolled back/failed/aborted)')
    .action(async (id: string) => {
      process.exitCode = await watch(ctx.client(), ctx.output(), id);
    });
  for (const action of ROLLOUT_ACTIONS) {
    rollouts
      .command(`${action} <id>`)
      .description(`${action} a rollout`)
      .option('--reason <text>', 'recorded in the audit log')
      .action(async (id: string, opts: { reason?: string }) => {
        const path = `/v1/rollouts/${encodeURIComponent(id)}/${action}`;
        const view = await ctx
          .client()
          .post<RolloutView>(path, opts.reason === undefined ? undefined : { reason: opts.reason });
        ctx.output().result(view, () => summary(view));
      });
  }
}
