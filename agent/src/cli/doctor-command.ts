/**
 * `edgefleet-agent doctor --config <agent.json> [--json]`: prints the doctor's checks (one line each, or
 * `{ ok, checks }` as JSON). Exit codes: 0 healthy (warnings allowed), 1 at least one check failed, 2 bad
 * usage or config.
 */
import { runDoctor } from '../doctor/doctor.js';
import type { CommandIo } from './command-io.js';
import { readConfigOption } from './command-io.js';

const USAGE = 'usage: edgefleet-agent doctor --config <agent.json> [--json]\n';
const MARK = Object.freeze({ ok: ' ok ', warn: 'warn', fail: 'FAIL', skip: 'skip' });

export async function doctorCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const json = args.includes('--json');
  const config = await readConfigOption(
    args.filter((a) => a !== '--json'),
    io,
    USAGE,
  );
  if (typeof config === 'number') return config;
  const report = await runDoctor({ config });
  if (json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const width = Math.max(...report.checks.map((c) => c.name.length));
    for (const check of report.checks) io.out(`[${MARK[check.status]}] ${check.name.padEnd(width)}  ${check.detail}\n`);
    io.out(report.ok ? 'healthy\n' : 'problems found\n');
  }
  return report.ok ? 0 : 1;
}
