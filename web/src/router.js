// router.js - history-based routing under /console/: matches a path to a page, keeps
// signed-out visitors on the sign-in page, shows one-shot flash messages, and tells a
// page when it is left (so polling stops).
import { h, banner, errorBanner } from './ui.js';
import * as session from './session.js';

export const BASE = '/console';
let routes = [];
let layout = null;
let flashMsg = null;
let active = { token: 0, disposers: [] };

/** A message for the next page shown (after a create, an association, a sign-out...). */
export function flash(kind, text) {
  flashMsg = { kind, text };
}

export function navigate(path, { replace = false } = {}) {
  const url = BASE + path;
  if (replace) window.history.replaceState({}, '', url);
  else window.history.pushState({}, '', url);
  render();
}

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const r of routes) {
    const pat = r.path.split('/').filter(Boolean);
    if (pat.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < pat.length && ok; i++) {
      if (pat[i].startsWith(':')) {
        try {
          params[pat[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else ok = pat[i] === parts[i];
    }
    if (ok) return { route: r, params };
  }
  return null;
}

/** Renders the page for the current location. */
export async function render() {
  for (const d of active.disposers) d();
  const token = active.token + 1;
  active = { token, disposers: [] };
  let path = window.location.pathname.slice(BASE.length) || '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const m = match(path) || { route: routes.find((r) => r.path === '*'), params: {} };
  const s = session.current();
  if (!m.route.public && !s) {
    const next = path === '/' ? '' : `?next=${encodeURIComponent(path + window.location.search)}`;
    navigate(`/signin${next}`, { replace: true });
    return;
  }
  const view = h('div', { class: 'view' });
  const shown = flashMsg ? banner(flashMsg.kind, null, flashMsg.text) : null;
  flashMsg = null;
  const main = layout(m.route, s, path);
  main.replaceChildren(...[shown, view].filter(Boolean));
  const ctx = {
    params: m.params,
    query: new URLSearchParams(window.location.search),
    view,
    session: s,
    alive: () => active.token === token,
    onLeave: (fn) => active.disposers.push(fn),
  };
  document.title = `${m.route.title || 'Console'} · catalogd`;
  try {
    await m.route.page(ctx);
  } catch (err) {
    if (ctx.alive()) view.append(errorBanner('This page could not be shown', err));
  }
  if (!ctx.alive()) return;
  const h1 = view.querySelector('h1');
  if (h1 && !document.activeElement?.closest('main form, dialog')) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
}

/** Starts routing: routeList [{path, title, page(ctx), public}], layoutFn(route, session, path) -> <main>. */
export function start(routeList, layoutFn) {
  routes = routeList;
  layout = layoutFn;
  window.addEventListener('popstate', render);
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const href = a.getAttribute('href');
    if (!href.startsWith(`${BASE}/`) && href !== BASE) return;
    e.preventDefault();
    navigate(href.slice(BASE.length) || '/');
  });
  render();
}
