/**
 * `edgefleet devices ls | show <id> | enrol --group <g>`: the fleet list with installed versions, one
 * device's reported and desired state, and a one-time enrolment token for new devices.
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
            online: d.online ? 'yes' : 'no',
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
