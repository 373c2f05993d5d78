// ui.js - the few DOM helpers every page uses: element building, banners, tables with
// selection, dialogs, badges, dates. No framework: pages build plain elements.

/** h('button', {class: 'primary', onclick: fn}, 'Save') -> HTMLButtonElement */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'required') el[k] = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
/** A unique element id, for label/for and aria references. */
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form field: the label points at the control; help text is described-by. */
export function field(label, control, help) {
  if (!control.id) control.id = nextId('field');
  const parts = [h('label', { for: control.id }, label), control];
  if (help) {
    const hid = nextId('help');
    control.setAttribute('aria-describedby', hid);
    parts.push(h('p', { class: 'help', id: hid }, help));
  }
  return h('div', { class: 'field' }, parts);
}

/** An API error's code as it came on the wire (the SDK's name is its class name). */
export function errorCode(err) {
  if (!err) return '';
  if (typeof err.Code === 'string' && err.Code) return err.Code;
  if (typeof err.code === 'string' && err.code) return err.code;
  return err.name && err.name !== 'Error' ? err.name : '';
}

/** An API error's code and message, as the API said them. */
export function errorText(err) {
  if (!err) return '';
  const code = errorCode(err);
  const msg = err.message || String(err);
  return code ? `${code}: ${msg}` : msg;
}

/** A banner: kind is error | success | info | warning. Errors are announced at once. */
export function banner(kind, title, message, extra) {
  const role = kind === 'error' ? 'alert' : 'status';
  return h('div', { class: `banner banner-${kind}`, role },
    title ? h('strong', {}, title) : null,
    message ? h('p', {}, message) : null,
    extra || null);
}

/** The error banner for a failed call: "<what> failed" and the API's own words. */
export function errorBanner(what, err) {
  return banner('error', what, errorText(err));
}

export function spinner(label = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), label);
}

/** An indeterminate progress bar with a label (execution and provisioning in progress). */
export function progress(label) {
  return h('div', { class: 'progress', role: 'progressbar', 'aria-label': label, 'aria-busy': 'true' },
    h('div', { class: 'progress-track' }, h('div', { class: 'progress-bar' })),
    h('span', { class: 'progress-label' }, label));
}

const STATUS_KIND = {
  AVAILABLE: 'ok', SUCCEEDED: 'ok', ACTIVE: 'ok', true: 'ok',
  FAILED: 'bad', ERROR: 'bad', TAINTED: 'warn', IN_PROGRESS_IN_ERROR: 'bad',
  CREATED: 'busy', IN_PROGRESS: 'busy', UNDER_CHANGE: 'busy', PLAN_IN_PROGRESS: 'busy',
};

export function badge(status) {
  const s = String(status ?? '—');
  return h('span', { class: `badge badge-${STATUS_KIND[s] || 'plain'}` }, s.replace(/_/g, ' '));
}

export function fmtDate(d) {
  if (!d) return '—';
  const t = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(t.getTime())) return '—';
  return t.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A link inside the console (the router takes over the click). */
export function link(path, text, attrs = {}) {
  return h('a', { href: `/console${path}`, ...attrs }, text);
}

/**
 * A table. columns: [{label, render(row) -> node|string}]. select: 'radio' | 'checkbox'
 * adds a first column; onSelect(selectedRows) is called on change. A checkbox table has a
 * "select all" box in its header. empty: what to show when there are no rows.
 */
export function table({ columns, rows, caption, empty, select, selectLabel, onSelect, rowKey, selected }) {
  if (!rows || rows.length === 0) {
    return h('div', { class: 'empty' }, empty || 'Nothing here yet.');
  }
  const name = nextId('sel');
  const boxes = [];
  const chosen = new Set(selected || []);
  const fire = () => onSelect && onSelect(rows.filter((r, i) => boxes[i].checked));
  let all = null;
  if (select === 'checkbox') {
    all = h('input', { type: 'checkbox', 'aria-label': selectLabel || 'Select all' });
    all.addEventListener('change', () => {
      boxes.forEach((b) => { if (!b.disabled) b.checked = all.checked; });
      fire();
    });
  }
  const head = h('tr', {},
    select ? h('th', { scope: 'col', class: 'sel' }, all || h('span', { class: 'sr-only' }, 'Select')) : null,
    columns.map((c) => h('th', { scope: 'col' }, c.label)));
  const body = rows.map((r, i) => {
    const key = rowKey ? rowKey(r) : String(i);
    let cell = null;
    if (select) {
      const label = columns[0].text ? columns[0].text(r) : key;
      const box = h('input', {
        type: select, name, value: key, checked: chosen.has(key),
        'aria-label': `Select ${label}`,
      });
      box.addEventListener('change', () => {
        if (all) all.checked = boxes.every((b) => b.checked);
        fire();
      });
      boxes.push(box);
      cell = h('td', { class: 'sel' }, box);
    }
    return h('tr', {}, cell, columns.map((c) => h('td', {}, c.render(r))));
  });
  if (all) all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
  return h('div', { class: 'table-wrap' },
    h('table', {}, caption ? h('caption', {}, caption) : null, h('thead', {}, head), h('tbody', {}, body)));
}

/** A definition list of [label, value] pairs. */
export function details(pairs) {
  return h('dl', { class: 'details' }, pairs.filter(Boolean).map(([k, v]) =>
    h('div', {}, h('dt', {}, k), h('dd', {}, v === undefined || v === null || v === '' ? '—' : v))));
}

/** A titled section (a panel with an h2 and optional buttons on the right). */
export function section(title, actions, ...content) {
  return h('section', { class: 'panel' },
    h('div', { class: 'panel-head' }, h('h2', {}, title), actions ? h('div', { class: 'actions' }, actions) : null),
    content);
}

/**
 * A modal dialog (native <dialog>: focus stays inside, Esc closes). onConfirm may be async;
 * while it runs the buttons are disabled; if it throws, the error shows inside the dialog
 * and the dialog stays open. Resolves true when confirmed and done, false when cancelled.
 */
export function dialog({ title, body, confirmLabel = 'Confirm', cancelLabel = 'Cancel', danger, onConfirm }) {
  return new Promise((resolve) => {
    const errorSlot = h('div', { class: 'dialog-error' });
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'secondary' }, cancelLabel);
    const titleId = nextId('dlg');
    const form = h('form', { method: 'dialog' },
      h('h2', { id: titleId }, title),
      h('div', { class: 'dialog-body' }, body),
      errorSlot,
      h('div', { class: 'dialog-buttons' }, cancel, ok));
    const dlg = h('dialog', { 'aria-labelledby': titleId }, form);
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancel.addEventListener('click', () => finish(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); if (!ok.disabled) finish(false); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      ok.disabled = true;
      cancel.disabled = true;
      ok.setAttribute('aria-busy', 'true');
      try {
        if (onConfirm) await onConfirm();
        finish(true);
      } catch (err) {
        errorSlot.replaceChildren(errorBanner(`${confirmLabel} failed`, err));
        ok.disabled = false;
        cancel.disabled = false;
        ok.removeAttribute('aria-busy');
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('input, select, textarea');
    (first || ok).focus();
  });
}

/**
 * A menu button (Actions ▾): items [{label, onSelect, disabled}] or null for a separator.
 * Keyboard: Enter/Space/ArrowDown open, arrows move, Esc closes and returns focus.
 */
export function menuButton(label, loadItems) {
  const menuId = nextId('menu');
  const btn = h('button', { type: 'button', class: 'primary', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': menuId }, `${label} `, h('span', { 'aria-hidden': 'true' }, '▾'));
  const menu = h('ul', { class: 'menu', role: 'menu', id: menuId, hidden: true, 'aria-label': label });
  const wrap = h('div', { class: 'menu-wrap' }, btn, menu);
  const items = () => [...menu.querySelectorAll('[role=menuitem]:not([aria-disabled=true])')];
  const close = (focus) => {
    menu.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    if (focus) btn.focus();
  };
  const open = async () => {
    menu.replaceChildren(h('li', { role: 'none', class: 'menu-note' }, 'Loading…'));
    menu.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    let list;
    try {
      list = await loadItems();
    } catch (err) {
      menu.replaceChildren(h('li', { role: 'none', class: 'menu-note error' }, errorText(err)));
      return;
    }
    menu.replaceChildren(...list.map((it) => {
      if (!it) return h('li', { role: 'separator' });
      if (it.note) return h('li', { role: 'none', class: 'menu-note' }, it.note);
      const li = h('li', { role: 'menuitem', tabindex: '-1', 'aria-disabled': it.disabled ? 'true' : null }, it.label);
      const choose = () => { if (it.disabled) return; close(true); it.onSelect(); };
      li.addEventListener('click', choose);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(); }
      });
      return li;
    }));
    const first = items()[0];
    if (first) first.focus();
  };
  btn.addEventListener('click', () => (menu.hidden ? open() : close(false)));
  btn.addEventListener('keydown', (e) => { if (e.key === 'ArrowDown') { e.preventDefault(); open(); } });
  menu.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'Escape') { e.preventDefault(); close(true); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); list[(i + 1) % list.length]?.focus(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); list[(i - 1 + list.length) % list.length]?.focus(); }
    else if (e.key === 'Tab') close(false);
  });
  const outside = (e) => {
    if (!wrap.isConnected) document.removeEventListener('click', outside); // its page is gone
    else if (!wrap.contains(e.target)) close(false);
  };
  document.addEventListener('click', outside);
  return wrap;
}

/** A random token for idempotent calls (ProvisionToken, ExecuteToken, IdempotencyToken). */
export function token() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
