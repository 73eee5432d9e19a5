/**
 * `edgefleet fl rounds ls [jobId]` — federated jobs, or one job's round attempts with accuracy and loss;
 * `edgefleet fl rounds start <job.yaml>` — creates a job (`POST /v1/fl/jobs`) from a YAML/JSON file checked
 * against the server's job schema first (errors name the field and line).
 */
import type { Command } from 'commander';
import { jobConfigSchema } from '../../fl/job-config.js';
import type { CliContext } from '../context.js';
import { readInputFile } from '../input-file.js';
import { table, time } from '../output.js';

interface JobItem {
  id: string;
  line: string;
  state: string;
  roundsDone: number;
  bestAccuracy: number | null;
  registeredVersion: number | null;
  createdAt: number;
  config: { rounds: number; strategy: { name: string } };
  rounds?: { round: number; attempt: number; state: string; metrics: Record<string, unknown>; error: string | null }[];
}

const num = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : '-');

export function registerFlCommands(program: Command, ctx: CliContext): void {
  const rounds = program
    .command('fl')
    .description('federated learning')
    .command('rounds')
    .description('jobs and rounds');
  rounds
    .command('ls [jobId]')
    .description('jobs, or the rounds of one job')
    .action(async (jobId?: string) => {
      const client = ctx.client();
      if (jobId === undefined) {
        const jobs = await client.get<JobItem[]>('/v1/fl/jobs');
        ctx.output().result(jobs, () =>
          table(
            jobs.map((j) => ({
              id: j.id,
              line: j.line,
              state: j.state,
              rounds: `${j.roundsDone}/${j.config.rounds}`,
              strategy: j.config.strategy.name,
              'best acc': num(j.bestAccuracy, 3),
              registered: j.registeredVersion,
              created: time(j.createdAt),
            })),
            ['id', 'line', 'state', 'rounds', 'strategy', 'best acc', 'registered', 'created'],
          ),
        );
        return;
      }
      const job = await client.get<JobItem>(`/v1/fl/jobs/${encodeURIComponent(jobId)}`);
      ctx.output().result(job, () =>
        table(
          (job.rounds ?? []).map((r) => ({
            round: r.round,
            attempt: r.attempt,
            state: r.state,
            clients: typeof r.metrics.participants === 'number' ? r.metrics.participants : '-',
            accuracy: num(r.metrics.accuracy, 4),
            loss: num(r.metrics.loss, 4),
            error: r.error,
          })),
          ['round', 'attempt', 'state', 'clients', 'accuracy', 'loss', 'error'],
        ),
      );
    });
  rounds
    .command('start <jobFile>')
    .description('create a federated job from a YAML/JSON file')
    .action(async (jobFile: string) => {
      const { raw } = readInputFile(jobFile, jobConfigSchema);
      const job = await ctx.client().post<JobItem>('/v1/fl/jobs', raw);
      ctx.output().result(job, () => `created federated job ${job.id} (${job.line}, state ${job.state})`);
    });
}
