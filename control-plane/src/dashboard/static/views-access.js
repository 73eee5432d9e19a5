/**
 * Access: API tokens (admins: list, rotate, revoke) and enrolment tokens (operators: state, expiry,
 * remaining uses, revoke). Secrets are never shown here except a rotated token's new one, once.
 */
import { api, session } from './app.js';
import { h, table, time } from './dom.js';

export async function accessView(container) {
  const admin = session.role === 'admin';
  const [tokens, enrolment] = await Promise.all([
    admin ? api('/v1/tokens') : Promise.resolve(null),
    api('/v1/enrolment-tokens'),
  ]);
  const rerender = () => accessView(container);
  const act = (question, request) => () => {
    if (!confirm(question)) return;
    request().then(rerender).catch(alert);
  };
  const rotate = (name) => () => {
    if (!confirm(`Rotate the token ${name}? The old secret stops working at once.`)) return;
    api(`/v1/tokens/${encodeURIComponent(name)}/rotate`, { method: 'POST', body: {} })
      .then((rotated) => {
        prompt(`New secret of ${name} (shown once):`, rotated.token);
        return rerender();
      })
      .catch(alert);
  };
  container.replaceChildren(
    h('h1', {}, 'Access'),
    ...(tokens === null
      ? []
      : [
          h('h2', {}, 'API tokens'),
          table(
            [
              { label: 'name', cell: (t) => t.name },
              { label: 'role', cell: (t) => t.role },
              { label: 'created', cell: (t) => time(t.createdAt) },
              {
                label: '',
                cell: (t) =>
                  h(
                    'span',
                    {},
                    h('button', { class: 'rotate-token', 'data-name': t.name, onclick: rotate(t.name) }, 'rotate'),
                    h(
                      'button',
                      {
                        class: 'revoke-token',
                        'data-name': t.name,
                        onclick: act(`Revoke the token ${t.name}?`, () =>
                          api(`/v1/tokens/${encodeURIComponent(t.name)}`, { method: 'DELETE' }),
                        ),
                      },
                      'revoke',
                    ),
                  ),
              },
            ],
            tokens,
          ),
        ]),
    h('h2', {}, 'Enrolment tokens'),
    table(
      [
        { label: 'id', cell: (t) => t.id },
        { label: 'group', cell: (t) => t.group },
        { label: 'state', cell: (t) => t.state, cls: (t) => `state-${t.state}` },
        { label: 'uses left', cell: (t) => String(t.remainingUses) },
        { label: 'expires', cell: (t) => time(t.expiresAt) },
        { label: 'used by', cell: (t) => t.usedBy ?? '-' },
        {
          label: '',
          cell: (t) =>
            t.state === 'usable'
              ? h(
                  'button',
                  {
                    class: 'revoke-enrolment',
                    'data-id': t.id,
                    onclick: act(`Revoke enrolment token ${t.id}?`, () =>
                      api(`/v1/enrolment-tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' }),
                    ),
                  },
                  'revoke',
                )
              : '',
        },
      ],
      enrolment,
    ),
  );
}
