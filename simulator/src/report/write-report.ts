/** Writes a report as `<base>.json` and the self-contained `<base>.html` beside it. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderHtmlReport } from './html-report.js';
import type { SimulationReport } from './report-types.js';

export async function writeReport(report: SimulationReport, base: string): Promise<{ json: string; html: string }> {
  await mkdir(dirname(base), { recursive: true });
  const json = `${base}.json`;
  const html = `${base}.html`;
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderHtmlReport(report));
  return { json, html };
}
