// Building the page. Text only ever goes in through textContent / text nodes: no HTML strings,
// no innerHTML. The CSP enforces Trusted Types, so a slip would throw instead of rendering.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Properties set as DOM properties (not attributes), so that the live value changes.
const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate']);
// Never set from here: every one of these is a way to turn a string into markup or script.
const REFUSED = new Set(['innerHTML', 'outerHTML', 'srcdoc', 'style']);

/**
 * h('button', {class: 'primary', type: 'button', onClick: fn}, 'Send')
 * Attributes: `class` (string or array), `text` (textContent), `dataset` (object),
 * `onX` (function: addEventListener('x')), booleans (true: present, false/null: absent).
 * Children: nodes, strings, numbers, arrays of them; null/false/undefined are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  add(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (REFUSED.has(key)) throw new TypeError(`h(): "${key}" is not allowed`);
    if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`h(): ${key} must be a function`);
      el.addEventListener(key.slice(2).toLowerCase(), value);
      continue;
    }
    if (value === undefined || value === null || value === false) {
      if (PROPS.has(key)) el[key] = false;
      else el.removeAttribute(key);
      continue;
    }
    if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (PROPS.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  return el;
}

export function add(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) add(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `el` with `children` (text or nodes). */
export function fill(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

/** Text for screen readers only. */
export const srOnly = (text) => h('span', { class: 'sr-only' }, text);

let idCounter = 0;
export function uid(prefix = 'ql') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// -- icons (24x24, stroke) -------------------------------------------------------------------
const ICONS = {
  chat: ['M4 5.5h16v10.5H10l-4.5 3.5V16H4z'],
  devices: ['M7.5 3h9v18h-9z', 'M11 18h2'],
  settings: ['M4 7h9', 'M17 7h3', 'M4 17h3', 'M11 17h9', 'M15 4.5v5', 'M9 14.5v5'],
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  signOut: ['M10 5H5v14h5', 'M14 8l4 4-4 4', 'M18 12H9'],
  send: ['M4.5 12 20 4.5 16 20l-4-6.5z', 'M12 13.5 20 4.5'],
  plus: ['M12 5v14', 'M5 12h14'],
  back: ['M15 5l-7 7 7 7'],
  clock: ['M12 3.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17z', 'M12 7.5V12l3 2'],
  search: ['M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13z', 'M15.5 15.5 20 20'],
  alert: ['M12 3.5 21 19.5H3z', 'M12 10v4', 'M12 16.5v.5'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  close: ['M6 6l12 12', 'M18 6 6 18'],
  down: ['M12 5v13', 'M6 12l6 6 6-6'],
  key: ['M8 11a4 4 0 1 0 0 .01z', 'M12 12h8', 'M17 12v3', 'M20 12v2'],
  bell: ['M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z', 'M10 20.5h4'],
  hash: ['M9 4 7.5 20', 'M16.5 4 15 20', 'M4.5 9h15', 'M4 15h15'],
  shield: ['M12 3 19 6v5.5c0 4.5-3 7.8-7 9.5-4-1.7-7-5-7-9.5V6z'],
  retry: ['M5 12a7 7 0 1 0 2-5', 'M5 4v4h4'],
  question: ['M12 3.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17z', 'M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5v.7', 'M12 16.5v.5'],
  download: ['M12 4v11', 'M7 10.5l5 5 5-5', 'M5 19.5h14'],
  users: ['M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z', 'M2.5 20c.5-3.5 3.2-6 6.5-6s6 2.5 6.5 6', 'M16 4.3a3.5 3.5 0 0 1 0 6.4', 'M18.5 14.5c1.7.9 2.8 2.9 3 5.5'],
  calendar: ['M4.5 6h15v14h-15z', 'M4.5 10.5h15', 'M8.5 3.5v4', 'M15.5 3.5v4'],
  menu: ['M4.5 7h15', 'M4.5 12h15', 'M4.5 17h15'],
};

export function icon(name, extraClass = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon ${extraClass}`.trim());
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

/** The Quietline mark (a speech bubble with a quiet line), for headers and auth screens. */
export function logo(size = 32) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 64 64');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('class', 'logo');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const parts = [
    ['rect', { x: '0', y: '0', width: '64', height: '64', rx: '15', class: 'logo-bg' }],
    ['path', { d: 'M16 18h32a4 4 0 0 1 4 4v16a4 4 0 0 1-4 4H30l-9 7v-7h-5a4 4 0 0 1-4-4V22a4 4 0 0 1 4-4z', class: 'logo-bubble' }],
    ['path', { d: 'M22 30h20', class: 'logo-line' }],
  ];
  for (const [tag, attrs] of parts) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.appendChild(el);
  }
  return svg;
}

// -- alerts and announcements ----------------------------------------------------------------
/** Show a sentence to the person in the alert region (problems from the API, confirmations). */
export function notify(text, { kind = 'error', timeout } = {}) {
  const region = document.getElementById('alerts');
  if (!region || !text) return;
  const ms = timeout ?? (kind === 'error' ? 12000 : 5000);
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, icon('close'));
  const toast = h('div', { class: `toast toast-${kind}` },
    icon(kind === 'error' ? 'alert' : kind === 'info' ? 'shield' : 'check', 'toast-icon'),
    h('p', { class: 'toast-text' }, text),
    close);
  const remove = () => toast.remove();
  close.addEventListener('click', remove);
  while (region.children.length >= 3) region.firstElementChild.remove();
  region.appendChild(toast);
  if (ms > 0) setTimeout(remove, ms);
}

/** Report a failed call: its problem `detail`, unless the app already handled it (401/423). */
export function report(err) {
  if (!err || err.handled || err.name === 'AbortError') return;
  notify(err.detail || err.message || 'Something went wrong. Try again.');
}

/** A polite announcement for screen readers only. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick, so the same sentence twice is announced twice.
  setTimeout(() => { region.textContent = text; }, 50);
}

// -- dialogs -------------------------------------------------------------------------------
/**
 * A modal <dialog> with a heading and a Close button. Returns {dialog, body, close}.
 * Focus returns to the element that opened it.
 */
export function openDialog(title, build, { className = '' } = {}) {
  const opener = document.activeElement;
  const titleId = uid('dlg');
  const body = h('div', { class: 'dialog-body' });
  const closeBtn = h('button', { type: 'button', class: 'icon-button dialog-close', 'aria-label': 'Close' }, icon('close'));
  const dialog = h('dialog', { class: `dialog ${className}`.trim(), 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId, class: 'dialog-title' }, title), closeBtn),
    body);
  const close = () => { if (dialog.open) dialog.close(); };
  closeBtn.addEventListener('click', close);
  dialog.addEventListener('click', (e) => { if (e.target === dialog) close(); });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  });
  (document.getElementById('app') || document.body).appendChild(dialog);
  build(body, close);
  dialog.showModal();
  return { dialog, body, close };
}

/** A labelled form field: returns {wrap, input, id}. */
export function field(label, input, { hint, className = '' } = {}) {
  const id = input.id || uid('f');
  input.id = id;
  const parts = [h('label', { for: id, class: 'field-label' }, label)];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { id: hintId, class: 'field-hint' }, hint));
  }
  parts.push(input);
  return { wrap: h('div', { class: `field ${className}`.trim() }, parts), input, id };
}

/** Disable a button while `fn` runs (so one tap sends once). */
export async function busy(button, fn, busyText) {
  if (button.disabled) return undefined;
  const old = button.getAttribute('aria-busy');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  const label = button.querySelector('.btn-label');
  const before = label ? label.textContent : null;
  if (label && busyText) label.textContent = busyText;
  try {
    return await fn();
  } catch (err) {
    report(err); // never an unhandled rejection
    return undefined;
  } finally {
    button.disabled = false;
    if (old === null) button.removeAttribute('aria-busy');
    if (label && before !== null) label.textContent = before;
  }
}

// -- time ----------------------------------------------------------------------------------
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long' });
const shortDateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const longDateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const toDate = (v) => (v instanceof Date ? v : new Date(v));

/** "2:04 pm" (day period in lower case, as people write it). */
export function formatTime(value) {
  const parts = timeFmt.formatToParts(toDate(value));
  return parts.map((p) => (p.type === 'dayPeriod' ? p.value.toLowerCase() : p.value)).join('');
}

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole days between the calendar days of two dates (0 = same day). */
export function dayDiff(a, b = new Date()) {
  return Math.round((startOfDay(toDate(b)) - startOfDay(toDate(a))) / 86400000);
}

/** "2:04 pm" today, "Yesterday 2:04 pm", "Mar 2, 2:04 pm". */
export function formatWhen(value) {
  const d = toDate(value);
  const days = dayDiff(d);
  if (days === 0) return formatTime(d);
  if (days === 1) return `yesterday ${formatTime(d)}`;
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return `${(sameYear ? shortDateFmt : longDateFmt).format(d)}, ${formatTime(d)}`;
}

/** A heading for a day of messages: "Today", "Yesterday", "Monday", "Mar 2", "Mar 2, 2025". */
export function formatDay(value) {
  const d = toDate(value);
  const days = dayDiff(d);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return dayFmt.format(d);
  return (d.getFullYear() === new Date().getFullYear() ? shortDateFmt : longDateFmt).format(d);
}

/** Relative time for lists: "Just now", "5 min ago", "3 h ago", "Yesterday", "Monday", "Mar 2". */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  const seconds = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (seconds < 60) return 'Just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 12 || dayDiff(d, now) === 0) return `${hours} h ago`;
  const days = dayDiff(d, now);
  if (days === 1) return 'Yesterday';
  if (days < 7) return dayFmt.format(d);
  return (d.getFullYear() === new Date(now).getFullYear() ? shortDateFmt : longDateFmt).format(d);
}

export function formatFull(value) {
  return fullFmt.formatToParts(toDate(value))
    .map((p) => (p.type === 'dayPeriod' ? p.value.toLowerCase() : p.value)).join('');
}

/** A <time> element with a machine-readable datetime and the full date as its title. */
export function timeEl(value, text, className = '') {
  const d = toDate(value);
  return h('time', { datetime: d.toISOString(), title: formatFull(d), class: className || null }, text);
}

/** Initials for an avatar: "Dana Brooks" -> "DB", "Dr. Lee" -> "DL". */
export function initials(name) {
  const words = String(name || '?').replace(/[^\p{L}\p{N}\s]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = words[0][0] || '';
  const last = words.length > 1 ? words[words.length - 1][0] : '';
  return (first + last).toUpperCase();
}

/** A stable hue class (0-7) for an id, so each person keeps one avatar colour. */
export function hueClass(id) {
  let n = 0;
  for (const ch of String(id)) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return `hue-${n % 8}`;
}

/** Case- and accent-insensitive text for client-side filtering. */
export function fold(text) {
  return String(text || '').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** True on devices with a precise pointer and hover (desktop): Enter sends there. */
export function isDesktop() {
  return window.matchMedia('(hover: hover) and (pointer: fine)').matches;
}
