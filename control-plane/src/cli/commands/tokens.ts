/**
 * `edgefleet tokens ls | create <name> --role <r> | rotate <name> | revoke <name>` (admin): API tokens. A
 * secret is printed once, when it is created or rotated; listings show names and roles only.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table, time } from '../output.js';

interface TokenItem {
  name: string;
  role: string;
  createdAt: number;
}

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('API tokens (admin)');
  tokens
    .command('ls')
    .description('list API tokens by name and role')
    .action(async () => {
      const rows = await ctx.client().get<TokenItem[]>('/v1/tokens');
      ctx.output().result(rows, () =>
        table(
          rows.map((t) => ({ name: t.name, role: t.role, created: time(t.createdAt) })),
          ['name', 'role', 'created'],
        ),
      );
    });
  tokens
    .command('create <name>')
    .description('mint a token (printed once)')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .action(async (name: string, opts: { role: string }) => {
      const created = await ctx.client().post<{ token: string }>('/v1/tokens', { name, role: opts.role });
      ctx.output().result(created, () => created.token);
    });
  tokens
    .command('rotate <name>')
    .description('replace the secret of a token (printed once); the old one stops working at once')
    .action(async (name: string) => {
      const rotated = await ctx.client().post<{ token: string }>(`/v1/tokens/${encodeURIComponent(name)}/rotate`);
      ctx.output().result(rotated, () => rotated.token);
    });
  tokens
    .command('revoke <name>')
    .description('revoke a token: its next call is refused')
    .action(async (name: string) => {
      await ctx.client().delete(`/v1/tokens/${encodeURIComponent(name)}`);
      ctx.output().result({ revoked: name }, () => `revoked ${name}`);
    });
}
