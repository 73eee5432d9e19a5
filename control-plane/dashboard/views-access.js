/**
 * Access: API tokens (admins: list, rotate, revoke), the signing keys (admins: the current root document's
 * version, expiry and key ids per role; rotate a role) and enrolment tokens (operators: state, expiry,
 * remaining uses, revoke). Secrets are never shown here except a rotated token's new one, once.
 */
import { api, session } from './app.js';
import { h, table, time } from './dom.js';

export async function accessView(container) {
  const admin = session.role === 'admin';
  const [tokens, trust, enrolment] = await Promise.all([
    admin ? api('/v1/tokens') : Promise.resolve(null),
    admin ? api('/v1/trust') : Promise.resolve(null),
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
    ...(trust === null ? [] : signingKeys(trust, act)),
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

const ROLES = ['root', 'targets', 'director'];

/** The root document's keys per role, each with a rotate button (fresh keys, the next root version). */
function signingKeys(trust, act) {
  return [
    h('h2', {}, 'Signing keys'),
    h(
      'p',
      { id: 'trust-root' },
      `root document v${trust.version}, issued ${time(trust.issuedAt)}, expires ${time(trust.expiresAt)}`,
    ),
    table(
      [
        { label: 'role', cell: (r) => r },
        { label: 'threshold', cell: (r) => String(trust.roles[r].threshold) },
        { label: 'key ids', cell: (r) => trust.roles[r].keyIds.join(' ') },
        {
          label: '',
          cell: (r) =>
            h(
              'button',
              {
                class: 'rotate-keys',
                'data-role': r,
                onclick: act(
                  `Rotate the ${r} keys? Devices refuse the old ones once they have the next root document.`,
                  () => api('/v1/trust/rotate', { method: 'POST', body: { roles: [r] } }),
                ),
              },
              'rotate',
            ),
        },
      ],
      ROLES,
    ),
  ];
}
