/** `edgefleet audit ls [--limit n]` (admin): the append-only audit log, newest first. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table, time } from '../output.js';

interface AuditRow {
  id: number;
  ts: number;
  actor: string;
  action: string;
  target: string;
  status: number;
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  program
    .command('audit')
    .description('audit log')
    .command('ls')
    .option('--limit <n>', 'entries', '50')
    .action(async (opts: { limit: string }) => {
      const rows = await ctx.client().get<AuditRow[]>(`/v1/audit?limit=${encodeURIComponent(opts.limit)}`);
      ctx.output().result(rows, () =>
        table(
          rows.map((r) => ({ ...r, ts: time(r.ts) })),
          ['id', 'ts', 'actor', 'action', 'target', 'status'],
        ),
      );
    });
}
