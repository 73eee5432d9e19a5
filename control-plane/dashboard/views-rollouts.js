/**
 * Rollouts: the list with a start form (operators and admins only — viewers get no form, and the API
 * would refuse them anyway), and one rollout's waves, gate numbers and a live timeline of its events.
 */
import { api, canMutate, onEvent } from './app.js';
import { h, table, time } from './dom.js';

function startForm(container) {
  const field = (name, attrs) => h('label', {}, name, h('input', { name, ...attrs }));
  const error = h('p', { class: 'error' });
  const form = h(
    'form',
    {
      id: 'start-rollout',
      onsubmit: async (e) => {
        e.preventDefault();
        const data = new FormData(form);
        const percents = String(data.get('waves'))
          .split(',')
          .map((p) => Number(p.trim()));
        try {
          const created = await api('/v1/rollouts', {
            method: 'POST',
            body: {
              line: String(data.get('line')),
              version: Number(data.get('version')),
              selector: { group: String(data.get('group')) },
              waves: percents.map((percent) => ({ percent })),
              observationMs: Number(data.get('observationMs')),
            },
          });
          location.hash = `#/rollouts/${created.id}`;
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    field('line', { required: true, value: 'iris' }),
    field('version', { required: true, type: 'number', min: 1 }),
    field('group', { required: true, value: 'lab' }),
    field('waves', { required: true, value: '50,100', title: 'cumulative percentages' }),
    field('observationMs', { required: true, type: 'number', value: 60000 }),
    h('button', { type: 'submit' }, 'Start rollout'),
  );
  container.append(h('h2', {}, 'Start a rollout'), form, error);
}

export async function rolloutsView(container) {
  const rollouts = await api('/v1/rollouts');
  container.replaceChildren(
    h('h1', {}, 'Rollouts'),
    table(
      [
        { label: 'rollout', cell: (r) => h('a', { href: `#/rollouts/${r.id}` }, r.id) },
        { label: 'model', cell: (r) => `${r.line}@${r.version}` },
        { label: 'state', cell: (r) => r.state, cls: (r) => `state-${r.state}` },
        { label: 'wave', cell: (r) => `${r.currentWave + 1}/${r.waves.length}` },
        { label: 'installed', cell: (r) => `${r.counts.installed}/${r.devices.length}` },
        { label: 'created', cell: (r) => time(r.createdAt) },
      ],
      rollouts,
    ),
  );
  if (canMutate()) startForm(container);
  onEvent((e) => {
    if (e.type === 'rollout.transition') rolloutsView(container);
  });
}

function describe(e) {
  if (e.type === 'rollout.transition') return `${e.from ?? '-'} → ${e.to}`;
  if (e.type === 'rollout.wave') return `wave ${e.wave + 1} ${e.state}`;
  if (e.type === 'rollout.gate') return `wave ${e.wave + 1} gates ${e.passed ? 'passed' : 'failed'}`;
  return '';
}

export async function rolloutView(container, id) {
  const timeline = h('ol', { id: 'timeline' });
  const body = h('div');
  const actions = h('div', { id: 'actions' });
  const render = async () => {
    const r = await api(`/v1/rollouts/${encodeURIComponent(id)}`);
    body.replaceChildren(
      h('p', {}, 'state: ', h('strong', { id: 'rollout-state', class: `state-${r.state}` }, r.state)),
      h(
        'p',
        {},
        `${r.line}@${r.version} (champion ${r.championVersion ?? '-'}) · installed ${r.counts.installed}/${r.devices.length} · failed ${r.counts.failed} · offline ${r.offline}`,
      ),
      h('h2', {}, 'Waves'),
      table(
        [
          { label: 'wave', cell: (w) => w.index + 1 },
          { label: 'mode', cell: (w) => w.mode },
          { label: 'state', cell: (w) => w.state },
          { label: 'installed', cell: (w) => `${w.counts.installed}/${w.devices.length}` },
          {
            label: 'gates (value / threshold)',
            cell: (w) =>
              w.gates.map((g) =>
                h(
                  'div',
                  { class: `outcome-${g.outcome}` },
                  `${g.gate}: ${g.value ?? '-'} / ${g.threshold} ${g.outcome}`,
                ),
              ),
          },
        ],
        r.waves,
      ),
    );
    actions.replaceChildren(
      ...(canMutate()
        ? ['pause', 'resume', 'abort', 'approve', 'rollback'].map((action) =>
            h(
              'button',
              { onclick: () => api(`/v1/rollouts/${id}/${action}`, { method: 'POST' }).then(render, alert) },
              action,
            ),
          )
        : []),
    );
  };
  container.replaceChildren(h('h1', {}, `Rollout ${id}`), body, actions, h('h2', {}, 'Timeline (live)'), timeline);
  await render();
  onEvent((e) => {
    if (e.rolloutId !== id) return;
    timeline.append(h('li', {}, `${time(e.at)} ${e.type} ${describe(e)}`));
    render();
  });
}
