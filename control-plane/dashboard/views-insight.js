/**
 * Drift per cohort over time (PSI of every feature per closed window, the 0.1 threshold dashed — Evidently's
 * default) and federated jobs with accuracy per round, both as SVG plots drawn by plot.js.
 */
import { api, onEvent } from './app.js';
import { h, table, time } from './dom.js';
import { linePlot } from './plot.js';

export async function driftView(container) {
  const lines = await api('/v1/models');
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const plotArea = h('div', { id: 'drift-plot' });
  const select = (name, options, value) =>
    h(
      'label',
      {},
      name,
      h(
        'select',
        { name },
        options.map((o) => h('option', { value: o, selected: o === value }, o)),
      ),
    );
  const form = h(
    'form',
    {
      id: 'drift-form',
      onsubmit: (e) => {
        e.preventDefault();
        draw();
      },
    },
    select(
      'model',
      lines.flatMap((l) => Array.from({ length: l.latestVersion }, (_, i) => `${l.line}@${l.latestVersion - i}`)),
      params.get('model'),
    ),
    h('label', {}, 'cohort', h('input', { name: 'cohort', value: params.get('cohort') ?? 'all' })),
    h('button', { type: 'submit' }, 'Show'),
  );
  async function draw() {
    const data = new FormData(form);
    const [line, version] = String(data.get('model')).split('@');
    if (line === '' || version === undefined) return;
    const cohort = String(data.get('cohort'));
    const drift = await api(`/v1/drift/${line}/${version}?cohort=${encodeURIComponent(cohort)}&limit=50`);
    const windows = [...drift.windows].reverse().filter((w) => w.features.length > 0);
    const names = windows[0]?.features.map((f) => f.name) ?? [];
    const series = names.map((name, i) => ({
      name,
      points: windows.map((w) => ({ x: w.windowStartMs, y: w.features[i]?.psi ?? 0 })),
    }));
    plotArea.replaceChildren(
      h('h2', {}, `PSI per feature, cohort ${cohort}, ${windows.length} windows`),
      linePlot(series, { id: 'drift-svg', threshold: drift.thresholds.psiWarn, xLabel: (x) => time(x).slice(11) }),
      table(
        [
          { label: 'window', cell: (w) => time(w.windowStartMs) },
          { label: 'rows', cell: (w) => w.rows },
          { label: 'devices', cell: (w) => w.devices },
          { label: 'level', cell: (w) => w.level, cls: (w) => `level-${w.level}` },
        ],
        [...windows].reverse(),
      ),
    );
  }
  container.replaceChildren(h('h1', {}, 'Drift'), form, plotArea);
  if (lines.length > 0) await draw();
  onEvent((e) => {
    if (e.type === 'drift.alert') draw();
  });
}

export async function flView(container) {
  const jobs = await api('/v1/fl/jobs');
  container.replaceChildren(
    h('h1', {}, 'Federated jobs'),
    table(
      [
        { label: 'job', cell: (j) => h('a', { href: `#/fl/${j.id}` }, j.id) },
        { label: 'line', cell: (j) => j.line },
        { label: 'state', cell: (j) => j.state },
        { label: 'rounds', cell: (j) => `${j.roundsDone}/${j.config.rounds}` },
        { label: 'best accuracy', cell: (j) => j.bestAccuracy?.toFixed(3) ?? '-' },
        { label: 'registered', cell: (j) => j.registeredVersion ?? '-' },
      ],
      jobs,
    ),
  );
  onEvent((e) => {
    if (e.type === 'fl.job') flView(container);
  });
}

export async function flJobView(container, id) {
  const job = await api(`/v1/fl/jobs/${encodeURIComponent(id)}`);
  const done = job.rounds.filter((r) => typeof r.metrics.accuracy === 'number');
  container.replaceChildren(
    h('h1', {}, `Federated job ${job.id}`),
    h(
      'p',
      {},
      `${job.line} · ${job.state} · ${job.config.strategy.name} · ${job.roundsDone}/${job.config.rounds} rounds`,
    ),
    linePlot([{ name: 'accuracy', points: done.map((r) => ({ x: r.round, y: r.metrics.accuracy })) }], {
      id: 'fl-svg',
    }),
    table(
      [
        { label: 'round', cell: (r) => r.round },
        { label: 'attempt', cell: (r) => r.attempt },
        { label: 'state', cell: (r) => r.state },
        { label: 'accuracy', cell: (r) => r.metrics.accuracy?.toFixed(4) ?? '-' },
        { label: 'loss', cell: (r) => r.metrics.loss?.toFixed(4) ?? '-' },
      ],
      job.rounds,
    ),
  );
  onEvent((e) => {
    if (e.type === 'fl.round' && e.jobId === id) flJobView(container, id);
  });
}
