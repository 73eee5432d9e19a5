/** Prints the MNIST reproduction's results as the Markdown tables docs/federated-learning.md carries. */
import type { RobustResult } from './robust.js';
import type { RunSummary } from './runs.js';

export interface TableRow {
  readonly name: string;
  readonly setting: string;
  readonly summary: RunSummary;
}

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const rounds = (s: RunSummary, target: string) => {
  const reached = s.roundsTo[target];
  return reached === null || reached === undefined ? `> ${s.rounds}` : String(reached);
};

export function runTable(rows: readonly TableRow[], centralizedBest: number): string {
  const lines = [
    '| run | setting | rounds run | rounds to 94 % | rounds to 90 % | best acc. | final acc. | best / centralized | time |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { name, setting, summary } of rows) {
    lines.push(
      `| ${name} | ${setting} | ${summary.rounds} | ${rounds(summary, '0.94')} | ${rounds(summary, '0.9')} | ` +
        `${pct(summary.bestAccuracy)} | ${pct(summary.finalAccuracy)} | ` +
        `${pct(summary.bestAccuracy / centralizedBest)} | ${(summary.elapsedMs / 1000).toFixed(0)} s |`,
    );
  }
  return lines.join('\n');
}

export function robustTable(result: RobustResult): string {
  const lines = ['| aggregate / attack (4 of 20 clients) | final acc. | best acc. |', '|---|---|---|'];
  for (const [name, summary] of Object.entries(result.runs)) {
    const note = summary.divergedAtRound === null ? '' : ` (diverged at round ${summary.divergedAtRound})`;
    lines.push(`| ${name} | ${pct(summary.finalAccuracy)}${note} | ${pct(summary.bestAccuracy)} |`);
  }
  return lines.join('\n');
}
