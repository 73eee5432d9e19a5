/**
 * `edgefleet devices ls | show <id> | revoke <id> | enrol --group <g> | tokens | revoke-token <id>`: the
 * fleet list with installed versions, one device's reported and desired state, revoking a device, and the
 * one-time enrolment tokens for new devices (mint, list, revoke).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table, time } from '../output.js';

interface DeviceItem {
  deviceId: string;
  group: string;
  tags: string[];
  online: boolean;
  lastSeenAt: number | null;
  installed: { line: string; version: number }[];
  revokedAt: number | null;
}

interface EnrolmentTokenItem {
  id: string;
  group: string;
  state: string;
  remainingUses: number;
  expiresAt: number;
  createdBy: string;
  usedBy: string | null;
}

export function registerDeviceCommands(program: Command, ctx: CliContext): void {
  const devices = program.command('devices').description('enrolled devices');
  devices
    .command('ls')
    .description('list devices')
    .action(async () => {
      const rows = await ctx.client().get<DeviceItem[]>('/v1/devices');
      ctx.output().result(rows, () =>
        table(
          rows.map((d) => ({
            id: d.deviceId,
            group: d.group,
            tags: d.tags.join(',') || '-',
            online: d.revokedAt === null ? (d.online ? 'yes' : 'no') : 'revoked',
            models: d.installed.map((m) => `${m.line}@${m.version}`).join(',') || '-',
            'last seen': time(d.lastSeenAt),
          })),
          ['id', 'group', 'tags', 'online', 'models', 'last seen'],
        ),
      );
    });
  devices
    .command('show <id>')
    .description('one device: reported and desired state')
    .action(async (id: string) => {
      const device = await ctx.client().get<Record<string, unknown>>(`/v1/devices/${encodeURIComponent(id)}`);
      ctx.output().result(device, () => JSON.stringify(device, null, 2));
    });
  devices
    .command('revoke <id>')
    .description('revoke a device and the children it carries: credentials, session, desired state, rollouts')
    .action(async (id: string) => {
      const result = await ctx
        .client()
        .post<{ revoked: string[]; leftRollouts: number }>(`/v1/devices/${encodeURIComponent(id)}/revoke`, {});
      ctx
        .output()
        .result(result, () =>
          result.revoked.length === 0
            ? `${id} was revoked already`
            : `revoked ${result.revoked.join(', ')}; left ${result.leftRollouts} active rollout(s)`,
        );
    });
  devices
    .command('tokens')
    .description('list enrolment tokens with their state, expiry and remaining uses')
    .action(async () => {
      const rows = await ctx.client().get<EnrolmentTokenItem[]>('/v1/enrolment-tokens');
      ctx.output().result(rows, () =>
        table(
          rows.map((t) => ({
            id: t.id,
            group: t.group,
            state: t.state,
            uses: String(t.remainingUses),
            expires: time(t.expiresAt),
            'used by': t.usedBy ?? '-',
          })),
          ['id', 'group', 'state', 'uses', 'expires', 'used by'],
        ),
      );
    });
  devices
    .command('revoke-token <id>')
    .description('revoke an unused enrolment token')
    .action(async (id: string) => {
      const token = await ctx.client().delete<EnrolmentTokenItem>(`/v1/enrolment-tokens/${encodeURIComponent(id)}`);
      ctx.output().result(token, () => `enrolment token ${id} revoked`);
    });
  devices
    .command('enrol')
    .description('mint a one-time enrolment token for a new device')
    .requiredOption('--group <group>', 'device group')
    .option('--tags <tags>', 'comma-separated tags')
    .option('--ttl <seconds>', 'token lifetime in seconds')
    .action(async (opts: { group: string; tags?: string; ttl?: string }) => {
      const body = {
        group: opts.group,
        ...(opts.tags === undefined ? {} : { tags: opts.tags.split(',').filter((t) => t !== '') }),
        ...(opts.ttl === undefined ? {} : { ttlSec: Number(opts.ttl) }),
      };
      const created = await ctx.client().post<{ token: string; expiresAt: number }>('/v1/enrolment-tokens', body);
      ctx.output().result(created, () => `${created.token}\n(expires ${time(created.expiresAt)})`);
    });
}
