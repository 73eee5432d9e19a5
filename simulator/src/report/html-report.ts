/**
 * The self-contained HTML report (no scripts, no network): summary, the rollout's waves with their gate
 * decisions, the traffic per cohort and version (served calls, errors, what the model answered), and SVG
 * plots of versions over time per cohort, wave progression, install failures, drift scores per cohort (the
 * iris models) or served calls and answers per cohort (a model file), and telemetry lag (outbox backlog),
 * with the gate decisions as markers.
 */
import type { SimulationReport, TrafficTotals } from './report-types.js';
import { escapeXml, lineChart, type Marker, type Series } from './svg-plot.js';

function perCohort(report: SimulationReport, value: (cohort: string, i: number) => number | null): Series[] {
  return report.cohorts.map((c) => ({
    name: c.name,
    points: report.samples.map((s, i) => [s.atMin, value(c.name, i)] as const),
  }));
}

function versionSeries(report: SimulationReport): Series[] {
  const keys = new Set<string>();
  for (const s of report.samples)
    for (const c of Object.values(s.cohorts)) for (const k of Object.keys(c.versions)) keys.add(k);
  const series: Series[] = [];
  for (const cohort of report.cohorts) {
    for (const version of [...keys].sort()) {
      const points = report.samples.map((s) => [s.atMin, s.cohorts[cohort.name]?.versions[version] ?? 0] as const);
      if (points.some((p) => p[1] > 0))
        series.push({ name: `${cohort.name} ${version === 'none' ? 'no model' : `v${version}`}`, points });
    }
  }
  return series;
}

function answers(totals: TrafficTotals): string {
  if (totals.classShare !== null) {
    return Object.entries(totals.classShare)
      .map(([k, share]) => `class ${k}: ${(share * 100).toFixed(1)} %`)
      .join(', ');
  }
  return totals.meanScore === null ? '–' : `mean ${totals.meanScore}`;
}

function trafficTable(report: SimulationReport): string {
  const { champion, candidate, rollback } = report.models;
  const role = (v: string) =>
    v === String(champion)
      ? ' (champion)'
      : v === String(candidate)
        ? ' (candidate)'
        : v === String(rollback)
          ? ' (rollback)'
          : '';
  const rows = report.traffic.flatMap((c) => {
    const versions = Object.entries(c.byVersion).map(([v, t]) => {
      const errors = Object.entries(t.errors)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      return `<tr><td>${escapeXml(c.cohort)}</td><td>${v === 'none' ? 'no model' : `v${v}${role(v)}`}</td><td>${t.served}</td><td>${escapeXml(errors || '0')}</td><td>${escapeXml(answers(t))}</td></tr>`;
    });
    const waiting = `<tr><td>${escapeXml(c.cohort)}</td><td>before any install</td><td>0</td><td>${c.noModel} without a model</td><td>–</td></tr>`;
    return c.noModel > 0 ? [...versions, waiting] : versions;
  });
  return `<table id="traffic-table"><tr><th>cohort</th><th>version</th><th>served calls</th><th>errors</th><th>answers (${escapeXml(report.model.output)})</th></tr>${rows.join('')}</table>`;
}

/** The class most often answered over the run (all cohorts and versions), whose share the answers plot follows. */
function topClass(report: SimulationReport): string | null {
  const rows = new Map<string, number>();
  for (const c of report.traffic)
    for (const t of Object.values(c.byVersion))
      for (const [k, share] of Object.entries(t.classShare ?? {})) rows.set(k, (rows.get(k) ?? 0) + share * t.rows);
  return [...rows.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
}

function answersChart(report: SimulationReport, markers: Marker[]): string {
  const top = topClass(report);
  if (top !== null) {
    return lineChart({
      id: 'answers',
      title: `Share of class ${top} (the most answered) of ${report.model.output} per cohort`,
      yLabel: 'share',
      series: perCohort(report, (c, i) => report.samples[i]?.cohorts[c]?.classShare?.[top] ?? null),
      markers,
    });
  }
  return lineChart({
    id: 'answers',
    title: `Mean of ${report.model.output} per cohort`,
    yLabel: 'mean',
    series: perCohort(report, (c, i) => report.samples[i]?.cohorts[c]?.meanScore ?? null),
    markers,
  });
}

export function renderHtmlReport(report: SimulationReport): string {
  const markers: Marker[] = report.events
    .filter((e) => e.type === 'rollout.gate' || e.type === 'rollout.wave' || e.type === 'rollout.transition')
    .map((e) => ({ x: e.atMin, label: `${e.type} ${e.summary}` }));
  const charts = [
    lineChart({
      id: 'versions',
      title: 'Installed versions over time per cohort',
      yLabel: 'devices',
      series: versionSeries(report),
      markers,
    }),
    lineChart({
      id: 'waves',
      title: 'Wave progression: devices on the candidate per the rollout, current wave index',
      yLabel: 'devices / wave',
      series: [
        {
          name: 'installed (rollout)',
          points: report.samples.map((s) => [s.atMin, s.rollout?.installed ?? null] as const),
        },
        {
          name: 'current wave (×10)',
          points: report.samples.map(
            (s) =>
              [s.atMin, s.rollout?.wave === null || s.rollout === null ? null : (s.rollout.wave + 1) * 10] as const,
          ),
        },
      ],
      markers,
    }),
    lineChart({
      id: 'failures',
      title: 'Install failures (cumulative) per cohort',
      yLabel: 'failures',
      series: perCohort(report, (c, i) => report.samples[i]?.cohorts[c]?.installFailures ?? null),
      markers,
    }),
    ...(report.model.kind === 'iris'
      ? [
          lineChart({
            id: 'drift',
            title: 'Drift score per cohort (worst feature PSI vs the model reference)',
            yLabel: 'PSI',
            series: perCohort(report, (c, i) => report.samples[i]?.cohorts[c]?.driftPsi ?? null),
          }),
        ]
      : [
          lineChart({
            id: 'served',
            title: 'Calls served per cohort per sample interval',
            yLabel: 'calls',
            series: perCohort(report, (c, i) => report.samples[i]?.cohorts[c]?.served ?? null),
            markers,
          }),
          answersChart(report, markers),
        ]),
    lineChart({
      id: 'lag',
      title: 'Telemetry lag: records waiting in device outboxes per cohort',
      yLabel: 'records',
      series: perCohort(report, (c, i) => report.samples[i]?.cohorts[c]?.backlog ?? null),
    }),
  ];
  const waves = report.rollout.waves
    .map((w) => {
      const gates = (Array.isArray(w.gates) ? w.gates : []) as {
        gate: string;
        outcome: string;
        value: number | null;
        threshold: number;
      }[];
      const text = gates
        .map((g) => `${g.gate}: ${g.outcome} (${g.value === null ? '–' : g.value.toFixed(3)} vs ${g.threshold})`)
        .join('; ');
      return `<tr><td>${w.index + 1}</td><td>${w.devices}</td><td>${escapeXml(w.state)}</td><td>${escapeXml(text || '–')}</td></tr>`;
    })
    .join('');
  const alerts = report.driftAlerts
    .map((a) => `<li>${a.atMin} min: ${escapeXml(a.cohort)} on v${a.version}</li>`)
    .join('');
  const f = report.final;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgefleet simulation: ${escapeXml(report.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:760px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}figure{margin:24px 0}figcaption{font-weight:600;margin-bottom:6px}</style>
</head><body>
<h1>Simulation report: ${escapeXml(report.scenario)}</h1>
<p id="summary">${report.devices} virtual devices in ${report.cohorts.length} cohorts, ${report.durationMin} virtual minutes, seed ${report.seed}; line ${escapeXml(report.model.line)} (${report.model.kind === 'iris' ? 'built-in iris models' : `model file; inputs ${escapeXml(report.model.inputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`).join(', '))}`}).
Rollout of v${report.models.candidate} (champion v${report.models.champion}): <strong id="rollout-state">${escapeXml(report.rollout.state)}</strong>${report.rollout.reason === null ? '' : ` — ${escapeXml(report.rollout.reason)}`}${report.models.rollback === null ? '' : `; rollback version v${report.models.rollback}`}.</p>
<table id="waves-table"><tr><th>wave</th><th>devices</th><th>state</th><th>gates</th></tr>${waves}</table>
<p>Final: ${escapeXml(
    Object.entries(f.byVersion)
      .map(([v, n]) => `${n} on ${v === 'none' ? 'no model' : `v${v}`}`)
      .join(', '),
  )}; ${f.notOnRegisteredBundle} not on a registered bundle; ${f.installFailures} install failures; ${f.crashes} crashes; links: ${f.links.cuts} cuts, ${f.links.refused} refused connects, ${f.links.corrupted} corrupted chunks.</p>
<h2>Traffic</h2>
${trafficTable(report)}
<h2>Drift alerts</h2><ul id="drift-alerts">${alerts || '<li>none</li>'}</ul>
${charts.join('\n')}
</body></html>
`;
}
