/**
 * The dashboard shell: log-in with an API token (kept in sessionStorage, gone with the tab), the `/v1` API
 * client with the bearer header, the live event stream, and a hash router over the views. EventSource
 * cannot send an Authorization header, so the stream is read with fetch() and parsed here (SSE framing,
 * WHATWG HTML §9.2); it reconnects with a growing delay. Views re-render when an event concerns them.
 */
import { h } from './dom.js';
import { accessView } from './views-access.js';
import { deviceView, fleetView } from './views-fleet.js';
import { driftView, flJobView, flView } from './views-insight.js';
import { rolloutsView, rolloutView } from './views-rollouts.js';

const TOKEN_KEY = 'edgefleet.token';
const main = document.getElementById('main');
const listeners = new Set();

export const session = { role: null, name: null };

export async function api(path, init = {}) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, ...(init.headers ?? {}) };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    ...init,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

export const canMutate = () => session.role === 'operator' || session.role === 'admin';

/** Subscribe to fleet events while a view is shown; cleared on every navigation. */
export function onEvent(listener) {
  listeners.add(listener);
}

async function followEvents() {
  const live = document.getElementById('live');
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
    try {
      const res = await fetch('/v1/events', {
        headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
      });
      if (!res.ok || res.body === null) throw new Error(`events: HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5))
            .join('\n');
          if (data === '') continue;
          const event = JSON.parse(data);
          if (event.type === undefined) {
            live.classList.add('on');
            delayMs = 500;
            continue;
          }
          for (const listener of [...listeners]) listener(event);
        }
      }
    } catch (error) {
      console.warn('event stream', error);
    }
    live.classList.remove('on');
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

const ROUTES = [
  [/^#\/fleet$/, fleetView],
  [/^#\/devices\/(.+)$/, deviceView],
  [/^#\/rollouts$/, rolloutsView],
  [/^#\/rollouts\/(.+)$/, rolloutView],
  [/^#\/drift(?:\?.*)?$/, driftView],
  [/^#\/fl$/, flView],
  [/^#\/fl\/(.+)$/, flJobView],
  [/^#\/access$/, accessView],
];

async function route() {
  listeners.clear();
  const hash = location.hash || '#/fleet';
  for (const [pattern, view] of ROUTES) {
    const match = pattern.exec(hash);
    if (match === null) continue;
    const container = h('section', { 'data-view': hash.split('/')[1] });
    main.replaceChildren(container);
    try {
      await view(container, ...match.slice(1).map(decodeURIComponent));
    } catch (error) {
      container.append(h('p', { class: 'error' }, String(error.message ?? error)));
    }
    return;
  }
  location.hash = '#/fleet';
}

function loginForm(message) {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'eft_…', autocomplete: 'off', size: 48 });
  const form = h(
    'form',
    {
      id: 'login',
      onsubmit: async (e) => {
        e.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        await start();
      },
    },
    h('label', {}, 'API token', input),
    h('button', { type: 'submit' }, 'Log in'),
  );
  main.replaceChildren(h('h1', {}, 'Log in'), message ? h('p', { class: 'error' }, message) : '', form);
}

async function start() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return loginForm();
  try {
    Object.assign(session, await api('/v1/whoami'));
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    return loginForm(`Token refused (${error.message})`);
  }
  document.getElementById('whoami').textContent = `${session.name} · ${session.role}`;
  document.getElementById('nav').hidden = false;
  document.getElementById('nav-access').hidden = !canMutate(); // tokens are for operators and admins
  window.addEventListener('hashchange', route);
  followEvents();
  await route();
}

start();
