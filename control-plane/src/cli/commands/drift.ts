/** `edgefleet drift show <line> <version> [--cohort all|group:g|tag:t]`: a cohort's drift windows, newest first. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table, time } from '../output.js';

interface DriftHistory {
  cohort: string;
  windows: {
    windowStartMs: number;
    rows: number;
    devices: number;
    level: string;
    driftedShare: number;
    features: { psi: number }[];
    output: { psi: number } | null;
  }[];
}

export function registerDriftCommands(program: Command, ctx: CliContext): void {
  program
    .command('drift')
    .description('fleet drift')
    .command('show <line> <version>')
    .option('--cohort <cohort>', 'all | group:<g> | tag:<t>', 'all')
    .option('--limit <n>', 'windows', '20')
    .action(async (line: string, version: string, opts: { cohort: string; limit: string }) => {
      const query = new URLSearchParams({ cohort: opts.cohort, limit: opts.limit });
      const path = `/v1/drift/${encodeURIComponent(line)}/${encodeURIComponent(version)}?${query}`;
      const history = await ctx.client().get<DriftHistory>(path);
      ctx.output().result(history, () =>
        table(
          history.windows.map((w) => ({
            window: time(w.windowStartMs),
            rows: w.rows,
            devices: w.devices,
            level: w.level,
            drifted: `${Math.round(w.driftedShare * 100)}%`,
            'max psi': w.features.length === 0 ? '-' : Math.max(...w.features.map((f) => f.psi)).toFixed(3),
            'output psi': w.output === null ? '-' : w.output.psi.toFixed(3),
          })),
          ['window', 'rows', 'devices', 'level', 'drifted', 'max psi', 'output psi'],
        ),
      );
    });
}
