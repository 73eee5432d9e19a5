/**
 * Output for humans and scripts: `--json` prints the server's JSON unchanged (one document, or one line per
 * event when following a stream); otherwise aligned plain-text tables like kubectl's. Progress bars go to
 * stderr and only to a terminal, so piping stdout never mixes them into data.
 */

export interface Output {
  readonly json: boolean;
  /** Data: the JSON value with --json, else the table. */
  result(value: unknown, table: () => string): void;
  /** One line of a stream (watch): the event as a JSON line with --json, else the text. */
  line(value: unknown, text: string): void;
  progress(label: string, done: number, total: number): void;
  info(text: string): void;
}

export type Row = Record<string, string | number | boolean | null | undefined>;

/** Left-aligned columns, upper-case headers, two spaces apart; empty → "(none)". */
export function table(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: Row[string]) => (v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const format = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(columns.map((c) => c.toUpperCase())), ...rows.map((r) => format(columns.map((c) => cell(r[c]))))].join(
    '\n',
  );
}

export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

const BAR_WIDTH = 30;

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  return {
    json: options.json,
    result(value, render) {
      stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${render()}\n`);
    },
    line(value, text) {
      stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
    },
    progress(label, done, total) {
      if (!stderr.isTTY) return;
      const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${pct}%`);
      if (done >= total) stderr.write('\n');
    },
    info(text) {
      stderr.write(`${text}\n`);
    },
  };
}
