/**
 * The terminal progress bar of `edgefleet-sim run`: one line rewritten in place on a TTY (phase, bar,
 * percentage, wall seconds), plain lines at most every 10 % otherwise so CI logs stay short.
 */
const WIDTH = 30;

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr) {
  const started = performance.now();
  let lastLine = '';
  return {
    update(phase: string, done: number, total: number): void {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(fraction * WIDTH);
      const percent = Math.floor(fraction * 100);
      const line = `${phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)} %  ${((performance.now() - started) / 1000).toFixed(1)} s`;
      if (stream.isTTY) {
        stream.write(`\r${line}`);
      } else {
        const key = `${phase}${Math.floor(percent / 10)}`;
        if (key !== lastLine) stream.write(`${line}\n`);
        lastLine = key;
      }
    },
    done(): void {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
