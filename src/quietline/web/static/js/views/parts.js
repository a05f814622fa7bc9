// Pieces the client-messaging screens share (clients, appointments, their admin pages):
// cards, problems shown as sentences, a confirmation step, and the data several screens need
// (the practice's client-messaging settings and time zone, the client directory). All of it
// lives in memory only.

import * as api from '../api.js';
import { fill, h, icon, openDialog, uid } from '../dom.js';
import { state } from '../state.js';

export function card(titleText, ...children) {
  const id = uid('card');
  return h('section', { class: 'card settings-card stack-card', 'aria-labelledby': id },
    h('h2', { id, class: 'card-title' }, titleText),
    children);
}

/** A page's body when the server refused (403) or failed: its sentence. */
export function showFailure(body, err, what, { forAdmins = false } = {}) {
  if (err && err.handled) return;
  if (err && err.status === 403) {
    fill(body, h('div', { class: 'callout callout-problem', role: 'alert' },
      icon('shield'),
      h('div', null,
        h('p', { class: 'callout-title' }, err.detail),
        forAdmins ? h('p', null, 'These pages are for the practice’s owners and admins.') : null)));
    return;
  }
  fill(body, h('div', { class: 'callout callout-problem', role: 'alert' },
    icon('alert'),
    h('div', null,
      h('p', { class: 'callout-title' }, `${what} could not be loaded.`),
      h('p', null, err ? err.detail || err.message : ''))));
}

export function problemBox() {
  return h('div', { class: 'form-problem', role: 'alert', hidden: true });
}

export function showProblem(box, text) {
  box.hidden = !text;
  box.textContent = text || '';
}

/** A confirmation step in a dialog: resolves true when the person chose `action`. */
export function confirmStep(titleText, lines, action, { danger = true, extra = null } = {}) {
  return new Promise((resolve) => {
    let chosen = false;
    const { dialog } = openDialog(titleText, (body, close) => {
      const go = h('button', { type: 'button', class: danger ? 'button danger-outline' : 'button primary' }, action);
      const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
      go.addEventListener('click', () => {
        chosen = true;
        close();
      });
      cancel.addEventListener('click', close);
      fill(body,
        lines.map((line) => h('p', { class: 'dialog-lead' }, line)),
        extra,
        h('div', { class: 'form-actions' }, go, cancel));
      setTimeout(() => cancel.focus(), 0);
    });
    dialog.addEventListener('close', () => resolve(chosen));
  });
}

/**
 * Run `redraw()` (which replaces nodes inside `container`) without losing the keyboard focus:
 * the control that had it, found again by its `data-focus-key` or else its tag and text, gets
 * it back.
 */
export function keepFocus(container, redraw) {
  const active = document.activeElement;
  const inside = active && active !== document.body && container.contains(active);
  const key = inside ? (active.dataset.focusKey || `${active.tagName}|${active.textContent}`) : null;
  redraw();
  if (!key || container.contains(active)) return;
  for (const el of container.querySelectorAll('button, a[href], input, select, textarea')) {
    if ((el.dataset.focusKey || `${el.tagName}|${el.textContent}`) === key) {
      el.focus({ preventScroll: true });
      return;
    }
  }
}

/** A labelled control: {wrap, input}; `hint` is read with the control. */
export function labelled(label, input, { hint, className = '' } = {}) {
  const id = input.id || uid('f');
  input.id = id;
  const parts = [h('label', { for: id, class: 'field-label' }, label)];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { id: hintId, class: 'field-hint' }, hint));
  }
  parts.push(input);
  return { wrap: h('div', { class: `field ${className}`.trim() }, parts), input };
}

/** A group of radio buttons in a fieldset: {wrap, value()}. */
export function radioGroup(legend, choices, { value, hint } = {}) {
  const name = uid('radio');
  const inputs = choices.map(([v, label], i) => {
    const input = h('input', { type: 'radio', name, value: v, id: `${name}-${i}`, class: 'check-input', checked: v === value });
    return { input, row: h('div', { class: 'radio-line' }, input, h('label', { for: input.id }, label)) };
  });
  const wrap = h('fieldset', { class: 'radio-group' },
    h('legend', { class: 'field-label' }, legend),
    hint ? h('p', { class: 'field-hint' }, hint) : null,
    inputs.map((x) => x.row));
  return {
    wrap,
    value: () => (inputs.find((x) => x.input.checked) || { input: { value: null } }).input.value,
    set: (v) => { for (const x of inputs) x.input.checked = x.input.value === v; },
    first: () => inputs[0].input,
  };
}

// -- data several screens share -----------------------------------------------------------
/** The practice's client-messaging settings (time zone, words, hours): read once a visit. */
export async function loadClientMessaging({ fresh = false } = {}) {
  if (state.clientMessaging && !fresh) return state.clientMessaging;
  const epoch = state.epoch;
  const settings = await api.get('/practice/client-messaging');
  if (epoch === state.epoch) state.clientMessaging = settings;
  return settings;
}

/** The practice's time zone (the device's until the settings are loaded). */
export function practiceZone() {
  return (state.clientMessaging && state.clientMessaging.timezone)
    || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The clients this person may see (id -> summary), for names in appointment lists. */
export async function loadClientDirectory() {
  const list = await api.get('/clients?limit=500');
  const map = new Map();
  for (const c of list || []) map.set(c.id, c);
  return map;
}

/** Staff who can be a client's clinician (not front desk), by name. */
export function clinicians() {
  return [...state.users.values()]
    .filter((u) => u.is_active !== false && u.role !== 'front_desk')
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
}

export const STATUS_LABELS = {
  confirmed: 'Confirmed',
  reschedule_requested: 'Reschedule requested',
  cancelled: 'Cancelled',
};

/** An appointment's status as staff read it. */
export function appointmentStatus(a) {
  if (STATUS_LABELS[a.status]) return STATUS_LABELS[a.status];
  return a.confirmation_requested_at ? 'Awaiting confirmation' : 'Scheduled';
}

export function statusClass(a) {
  if (a.status === 'confirmed') return 'tag-on';
  if (a.status === 'reschedule_requested') return 'tag-warn';
  if (a.status === 'cancelled') return 'tag-off';
  return a.confirmation_requested_at ? 'tag-current' : '';
}

/** How a one-tap message reached the client, in a sentence (SentToClientOut). */
export function sentSentence(sent, who) {
  if (!sent.channel) return `Nothing could go to ${who} by text or e-mail; it waits on the secure page.`;
  const by = sent.channel === 'sms' ? 'text' : 'e-mail';
  return sent.in_the_clear ? `Sent to ${who} by ${by}.` : `Sent to ${who} as a secure link by ${by}.`;
}
