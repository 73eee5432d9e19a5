/**
 * `edgefleet keys show | rotate [--role r]...`: the root of trust. `show` prints the current root's version,
 * expiry and key ids per role; `rotate` (admin) replaces the keys of the named roles, issues the next root
 * document and re-signs what devices verify, so the retired keys stop being accepted fleet-wide.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table, time } from '../output.js';

interface RoleSummary {
  keyIds: string[];
  threshold: number;
}

interface TrustSummary {
  version: number;
  issuedAt: number;
  expiresAt: number;
  roles: Record<string, RoleSummary>;
}

interface Rotation extends TrustSummary {
  rotated: string[];
  retiredKeyIds: string[];
  resignedManifests: number;
  reissuedDesired: number;
  republishedDesired: number;
}

const ROLES = ['root', 'targets', 'director'];

function rolesTable(summary: TrustSummary): string {
  const header = `root v${summary.version}, issued ${time(summary.issuedAt)}, expires ${time(summary.expiresAt)}`;
  const rows = ROLES.map((role) => ({
    role,
    threshold: String(summary.roles[role]?.threshold ?? ''),
    keys: (summary.roles[role]?.keyIds ?? []).join(' '),
  }));
  return `${header}\n${table(rows, ['role', 'threshold', 'keys'])}`;
}

export function registerKeyCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('signing keys and the root of trust');
  keys
    .command('show')
    .description('the current root document: version, expiry, key ids and thresholds per role')
    .action(async () => {
      const summary = await ctx.client().get<TrustSummary>('/v1/trust');
      ctx.output().result(summary, () => rolesTable(summary));
    });
  keys
    .command('rotate')
    .description('replace the keys of the given roles (admin); without --role, re-issue the root with the same keys')
    .option(
      '--role <role>',
      'root, targets or director (repeat for several)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(async (opts: { role: string[] }) => {
      const rotated = await ctx.client().post<Rotation>('/v1/trust/rotate', { roles: opts.role });
      ctx
        .output()
        .result(rotated, () =>
          [
            rolesTable(rotated),
            `retired keys: ${rotated.retiredKeyIds.join(' ') || 'none'}`,
            `manifests re-signed: ${rotated.resignedManifests}; desired states re-issued: ${rotated.reissuedDesired}, re-published: ${rotated.republishedDesired}`,
          ].join('\n'),
        );
    });
}
