/**
 * Fleet overview (devices online, by installed version and by group, the device list) and device detail
 * (reported and desired state, recent events; operators can revoke the device). Re-rendered when a rollout
 * moves, since that changes versions.
 */
import { api, canMutate, onEvent } from './app.js';
import { h, table, time } from './dom.js';

function countBy(items, key) {
  const counts = new Map();
  for (const item of items) for (const k of [key(item)].flat()) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

export async function fleetView(container) {
  const render = async () => {
    const devices = await api('/v1/devices');
    const online = devices.filter((d) => d.online).length;
    const versions = countBy(devices, (d) =>
      d.installed.length === 0 ? ['none'] : d.installed.map((m) => `${m.line}@${m.version}`),
    );
    container.replaceChildren(
      h('h1', {}, 'Fleet'),
      h(
        'div',
        { class: 'cards' },
        h('div', { class: 'card', id: 'devices-total' }, h('b', {}, devices.length), 'devices'),
        h('div', { class: 'card', id: 'devices-online' }, h('b', {}, online), 'online'),
        h('div', { class: 'card', id: 'devices-offline' }, h('b', {}, devices.length - online), 'offline'),
      ),
      h('h2', {}, 'By installed version'),
      table(
        [
          { label: 'model', cell: (r) => r[0] },
          { label: 'devices', cell: (r) => r[1] },
        ],
        versions,
      ),
      h('h2', {}, 'By group'),
      table(
        [
          { label: 'group', cell: (r) => r[0] },
          { label: 'devices', cell: (r) => r[1] },
        ],
        countBy(devices, (d) => d.group),
      ),
      h('h2', {}, 'Devices'),
      table(
        [
          { label: 'device', cell: (d) => h('a', { href: `#/devices/${encodeURIComponent(d.deviceId)}` }, d.deviceId) },
          { label: 'group', cell: (d) => d.group },
          { label: 'tags', cell: (d) => d.tags.join(', ') },
          {
            label: 'state',
            cell: (d) => (d.online ? 'online' : 'offline'),
            cls: (d) => (d.online ? 'online' : 'offline'),
          },
          { label: 'models', cell: (d) => d.installed.map((m) => `${m.line}@${m.version}`).join(', ') || '-' },
          { label: 'last seen', cell: (d) => time(d.lastSeenAt) },
        ],
        devices,
      ),
    );
  };
  await render();
  onEvent((e) => {
    if (e.type === 'rollout.transition' || e.type === 'rollout.wave') render();
  });
}

export async function deviceView(container, id) {
  const [device, events] = await Promise.all([
    api(`/v1/devices/${encodeURIComponent(id)}`),
    api(`/v1/devices/${encodeURIComponent(id)}/events?limit=20`),
  ]);
  const state =
    device.revokedAt === null ? (device.online ? 'online' : 'offline') : `revoked ${time(device.revokedAt)}`;
  const revoke = () => {
    if (!confirm(`Revoke ${device.deviceId}? Its credentials stop working and it leaves every rollout.`)) return;
    api(`/v1/devices/${encodeURIComponent(id)}/revoke`, { method: 'POST', body: {} })
      .then(() => deviceView(container, id))
      .catch(alert);
  };
  container.replaceChildren(
    h('h1', {}, `Device ${device.deviceId}`),
    h('p', { id: 'device-state' }, `${state} · group ${device.group} · last seen ${time(device.lastSeenAt)}`),
    ...(canMutate() && device.revokedAt === null
      ? [h('button', { id: 'revoke-device', onclick: revoke }, 'Revoke device')]
      : []),
    h('h2', {}, 'Reported'),
    h('pre', {}, JSON.stringify(device.reported, null, 2)),
    h('h2', {}, 'Desired'),
    h('pre', {}, JSON.stringify(device.desired, null, 2)),
    h('h2', {}, 'Recent events'),
    h('pre', {}, JSON.stringify(events, null, 2)),
  );
}
