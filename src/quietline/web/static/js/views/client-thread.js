// What a client's thread (kind 'client') adds to the ordinary thread and compose views:
//
// * how each staff message reached the client: GET /conversations/{id}/client-deliveries plus
//   the WebSocket's `client.delivery` events ("Sent by text", "Delivered to phone", "Sent as
//   secure link", "Not delivered: …") and `client.seen` ("Seen on secure page");
// * who wrote a message: the client (their name, a style of its own), a colleague, an automatic
//   reply; staff-only notes ("Staff note — not sent to the client"); urgent client messages
//   ("Urgent: crisis language detected — resources were sent automatically");
// * the composer's template picker ("Send a template") and the live clinical-content warning
//   (POST /guard/check while typing, debounced);
// * who may write to the client: a person whose role the practice does not let message
//   clients (`may_message_client: false` on the conversation) writes staff notes only.
//
// Content stays in memory (state.js) like every message; nothing here is stored.

import * as api from '../api.js';
import { fill, h, icon, openDialog, report, uid } from '../dom.js';
import { emit, state, userName } from '../state.js';

export const isClientThread = (c) => !!c && c.kind === 'client';

/** Written by the client (no staff sender). */
export const fromClient = (m) => !m.sender_id && !!m.sender_client_id;

/** An automatic reply (crisis resources, after hours, running late, reminders). */
export const isAuto = (m) => m.channel === 'auto';

export function clientName(c) {
  return (c && c.title) || 'Client';
}

/**
 * Whether the signed-in person may send to this client thread's client: the server says so in
 * `may_message_client` (the practice's "Who may message clients"; a missing value counts as
 * yes). When not, the composer writes staff notes only.
 */
export const mayMessageClient = (c) => !isClientThread(c) || c.may_message_client !== false;

/** The composer's one line when it writes staff notes only. */
export const NOTE_ONLY_TEXT = 'Your practice does not let your role message clients, so what you write here is a staff note, seen only by staff. An owner or admin can change who may.';

const PROBLEM_CLINICAL = 'urn:quietline:problem:clinical-content';
export const isClinicalRefusal = (err) => !!err && err.status === 409 && err.type === PROBLEM_CLINICAL;

// -- deliveries -----------------------------------------------------------------------------
const deliveryRequests = new Map(); // conversation id -> number of the latest request
const deliveryTimers = new Map();

/** GET /conversations/{id}/client-deliveries: the newest row per message, in memory. */
export async function loadClientDeliveries(conversationId) {
  const epoch = state.epoch;
  const n = (deliveryRequests.get(conversationId) || 0) + 1;
  deliveryRequests.set(conversationId, n);
  const rows = await api.get(`/conversations/${api.seg(conversationId)}/client-deliveries`);
  if (epoch !== state.epoch || deliveryRequests.get(conversationId) !== n) return;
  const byMessage = new Map();
  for (const row of rows || []) {
    if (row.message_id && !byMessage.has(row.message_id)) byMessage.set(row.message_id, row); // newest first
  }
  state.clientDeliveries.set(conversationId, byMessage);
  emit(`client-deliveries:${conversationId}`);
}

/** Load again soon (debounced): after a send, and after a delivery event we cannot place. */
export function clientDeliveriesSoon(conversationId, delay = 250) {
  clearTimeout(deliveryTimers.get(conversationId));
  deliveryTimers.set(conversationId, setTimeout(() => {
    deliveryTimers.delete(conversationId);
    if (state.threads.has(conversationId)) loadClientDeliveries(conversationId).catch(() => {});
  }, delay));
}

/** A `client.delivery` event: the row's new status at once, then the list from the server. */
export function applyClientDelivery(event) {
  const id = event.conversation_id;
  const rows = state.clientDeliveries.get(id);
  if (rows && event.message_id) {
    const row = rows.get(event.message_id);
    if (row && row.outbound_id === event.outbound_id) {
      rows.set(event.message_id, {
        ...row,
        status: event.status,
        failure: event.failure ?? null,
        delivered_at: event.status === 'delivered' ? (row.delivered_at || new Date().toISOString()) : row.delivered_at,
      });
      emit(`client-deliveries:${id}`);
    }
  }
  clientDeliveriesSoon(id, 400);
}

/** A `client.seen` event: the client read their thread on the secure page up to a message. */
export function applyClientSeen(event) {
  const id = event.conversation_id;
  const before = state.clientSeen.get(id);
  if (before && before.up_to_seq >= event.up_to_seq) return;
  state.clientSeen.set(id, { up_to_seq: event.up_to_seq, at: event.at });
  emit(`client-deliveries:${id}`);
}

/** "Not delivered: the phone company …" (the server's sentence, joined to ours). */
function notDelivered(failure) {
  if (!failure) return 'Not delivered.';
  const text = failure.length > 1 && failure[1] === failure[1].toLowerCase()
    ? failure[0].toLowerCase() + failure.slice(1) : failure;
  return `Not delivered: ${text}`;
}

/**
 * What a staff message's delivery line says, or null (client messages, nothing known yet):
 * [{text, kind}] with kind 'note' | 'ok' | 'wait' | 'problem' | 'seen'.
 */
export function deliveryLines(c, m) {
  if (!isClientThread(c) || fromClient(m)) return [];
  if (m.internal) return [{ text: 'Staff note — not sent to the client', kind: 'note' }];
  const lines = [];
  const rows = state.clientDeliveries.get(c.id);
  const row = rows ? rows.get(m.id) : null;
  if (row) {
    const link = row.purpose === 'notice' || m.channel === 'link';
    const sms = row.channel === 'sms';
    if (row.status === 'queued' || row.status === 'sending') {
      if (row.failure) lines.push({ text: row.failure, kind: 'wait' });
      else lines.push({ text: link ? 'Sending the secure link…' : sms ? 'Sending by text…' : 'Sending by e-mail…', kind: 'wait' });
    } else if (row.status === 'sent') {
      if (link) lines.push({ text: sms ? 'Sent as secure link' : 'Sent as secure link by e-mail', kind: 'ok' });
      else lines.push({ text: sms ? 'Sent by text' : 'Sent by e-mail', kind: 'ok' });
    } else if (row.status === 'delivered') {
      if (link) lines.push({ text: sms ? 'Secure link delivered to phone' : 'Secure link delivered by e-mail', kind: 'ok' });
      else lines.push({ text: sms ? 'Delivered to phone' : 'Delivered by e-mail', kind: 'ok' });
    } else {
      lines.push({ text: notDelivered(row.failure), kind: 'problem' });
    }
  } else if (m.channel === 'page') {
    lines.push({ text: 'Not sent by text or e-mail: it waits on the secure page', kind: 'wait' });
  }
  const seen = state.clientSeen.get(c.id);
  if (seen && seen.up_to_seq >= m.seq) lines.push({ text: 'Seen on secure page', kind: 'seen' });
  return lines;
}

const RECEIVED = { sms: 'by text', email: 'by e-mail', page: 'on the secure page' };

/**
 * How thread.js shows a message of a client thread: {senderName, mine, classes, key, top,
 * lines, received}. `mine` is false for automatic replies (they are the practice's words).
 */
export function describeMessage(c, m, meId) {
  const client = fromClient(m);
  const auto = isAuto(m);
  const mine = !client && !auto && m.sender_id === meId;
  let senderName;
  if (client) senderName = clientName(c);
  else if (auto) senderName = 'Automatic reply';
  else senderName = mine ? 'You' : userName(m.sender_id);
  const lines = deliveryLines(c, m);
  const classes = [client && 'from-client', m.internal && 'is-note', auto && 'is-auto'];
  let top = null;
  if (client && m.urgent) {
    top = h('p', { class: 'crisis-flag' }, icon('alert'),
      h('span', null, 'Urgent: crisis language detected — resources were sent automatically'));
  } else if (m.internal) {
    top = h('p', { class: 'note-flag' }, icon('lock'), h('span', null, 'Staff note — not sent to the client'));
  }
  const received = client && RECEIVED[m.channel] ? `Received ${RECEIVED[m.channel]}` : '';
  const key = [client, auto, mine, m.internal, received, lines.map((l) => `${l.kind}:${l.text}`).join(';')].join('|');
  return { senderName, mine, client, auto, classes, key, top, lines, received };
}

/** The delivery lines as nodes for a message's meta row. */
export function deliveryNodes(lines) {
  return lines.filter((l) => l.kind !== 'note').map((l) => h('span', { class: ['client-delivery', `is-${l.kind}`] },
    l.kind === 'problem' ? icon('alert') : l.kind === 'ok' || l.kind === 'seen' ? icon('check') : null,
    l.text));
}

// -- templates ------------------------------------------------------------------------------
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

/** The value as the server writes it into the text ("3:10 pm", "Tuesday, March 3"). */
function shownValue(name, raw) {
  if (raw === undefined || raw === null || raw === '') return null;
  if (name === 'time') {
    const m = /^(\d{1,2}):(\d{2})$/.exec(raw);
    if (!m) return null;
    const hour = Number(m[1]);
    return `${hour % 12 || 12}:${m[2]} ${hour < 12 ? 'am' : 'pm'}`;
  }
  if (name === 'date') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
    if (!m) return null;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return `${WEEKDAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  }
  if (name === 'clinician') return userName(raw);
  return String(raw);
}

/** The template's text with the values filled in (what the client will read). */
export function fillTemplate(body, values) {
  return body.replace(/\{(time|date|minutes|clinician)\}/g, (whole, name) => shownValue(name, values[name]) ?? whole);
}

const PLACEHOLDER_FIELDS = {
  time: { label: 'Time', build: () => h('input', { type: 'time', required: true }) },
  date: { label: 'Date', build: () => h('input', { type: 'date', required: true }) },
  minutes: { label: 'Minutes', build: () => h('input', { type: 'number', inputmode: 'numeric', min: '1', max: '180', step: '1', required: true }) },
  clinician: {
    label: 'Clinician',
    build: () => {
      const people = [...state.users.values()].filter((u) => u.is_active !== false && u.role !== 'front_desk')
        .sort((a, b) => a.display_name.localeCompare(b.display_name));
      const select = h('select', null, people.map((u) => h('option', { value: u.id }, u.display_name)));
      if (state.me) select.value = state.me.id;
      return select;
    },
  },
};

/**
 * The dialog "Send a template": choose one, fill its values, see the text, send.
 * `onSend({template_id, values, text})` queues the send (compose.js).
 */
export function openTemplatePicker(onSend) {
  openDialog('Send a template', (body, close) => {
    const status = h('p', { class: 'empty-note' }, 'Loading the templates…');
    body.appendChild(status);
    api.get('/message-templates').then((templates) => {
      if (!body.isConnected) return;
      buildPicker(body, close, Array.isArray(templates) ? templates : [], onSend);
    }).catch((err) => {
      if (!body.isConnected) return;
      status.textContent = err.detail || 'The templates could not be loaded.';
      report(err);
    });
  }, { className: 'dialog-templates' });
}

function buildPicker(body, close, templates, onSend) {
  if (!templates.length) {
    fill(body, h('p', { class: 'dialog-lead' }, 'Your practice has no templates yet. Owners and admins add them under Admin → Client messaging.'));
    return;
  }
  let chosen = null;
  const inputs = new Map(); // placeholder -> input
  const name = uid('tpl');
  const radios = templates.map((t, i) => {
    const radio = h('input', { type: 'radio', name, value: t.id, id: `${name}-${i}`, class: 'check-input' });
    radio.addEventListener('change', () => choose(t));
    return h('li', { class: 'template-choice' },
      radio,
      h('label', { for: radio.id, class: 'template-label' },
        h('span', { class: 'template-name' }, t.name),
        h('span', { class: 'template-body' }, t.body)));
  });
  const values = h('div', { class: 'template-values' });
  const preview = h('p', { class: 'template-preview' });
  const previewWrap = h('div', { class: 'template-preview-wrap', hidden: true },
    h('p', { class: 'field-label' }, 'The client will read'),
    preview,
    h('p', { class: 'field-hint' }, 'Templates go by text or e-mail as they are when the client agreed to plain messages; otherwise the client gets a secure link.'));
  const problem = h('p', { class: 'form-problem', role: 'alert', hidden: true });
  const send = h('button', { type: 'submit', class: 'button primary', disabled: true }, icon('send'), h('span', null, 'Send template'));
  const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
  cancel.addEventListener('click', close);
  const form = h('form', { class: 'form', novalidate: true },
    h('fieldset', { class: 'template-fieldset' },
      h('legend', { class: 'field-label' }, 'Template'),
      h('ul', { class: 'template-list' }, radios)),
    values,
    previewWrap,
    problem,
    h('div', { class: 'form-actions' }, send, cancel));
  fill(body, form);

  function currentValues() {
    const out = {};
    for (const [key, input] of inputs) {
      const v = input.value.trim();
      if (v) out[key] = key === 'minutes' && /^\d+$/.test(v) ? Number(v) : v;
    }
    return out;
  }

  function update() {
    if (!chosen) return;
    preview.textContent = fillTemplate(chosen.body, currentValues());
  }

  function choose(t) {
    chosen = t;
    inputs.clear();
    values.replaceChildren();
    for (const key of t.placeholders || []) {
      const def = PLACEHOLDER_FIELDS[key];
      if (!def) continue;
      const input = def.build();
      input.addEventListener('input', update);
      input.addEventListener('change', update);
      inputs.set(key, input);
      values.appendChild(field(def.label, input));
    }
    previewWrap.hidden = false;
    send.disabled = false;
    problem.hidden = true;
    update();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!chosen) return;
    const v = currentValues();
    const missing = [...inputs.keys()].filter((k) => v[k] === undefined);
    if (missing.length) {
      problem.hidden = false;
      problem.textContent = `Fill in: ${missing.map((k) => PLACEHOLDER_FIELDS[k].label.toLowerCase()).join(', ')}.`;
      inputs.get(missing[0]).focus();
      return;
    }
    onSend({ template_id: chosen.id, values: v, text: fillTemplate(chosen.body, v) });
    close();
  });
  setTimeout(() => { radios[0]?.querySelector('input')?.focus(); }, 0);
}

function field(label, input) {
  const id = input.id || uid('f');
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label), input);
}

// -- the clinical-content guard while typing --------------------------------------------------
const ROUTES = {
  sms: 'It will go to the client by text.',
  email: 'It will go to the client by e-mail.',
  link: 'It will go as a secure link: the client gets only a notice.',
  page: 'The client has no phone or e-mail to reach: it will wait on the secure page.',
};

/**
 * The live warning under the composer. `check(text)` (debounced by the caller) asks the
 * server; `panel` shows what it said; `onSecurePage()` is the "Send through secure page"
 * button's action.
 */
export function guardPanel(conversationId, { onSecurePage }) {
  const panel = h('div', { class: 'guard-panel', role: 'status', 'aria-live': 'polite' });
  let request = 0;
  let shownKey = '';

  function show(key, build) {
    if (key === shownKey) return;
    shownKey = key;
    panel.replaceChildren();
    if (build) panel.append(build());
  }

  return {
    panel,
    clear() {
      request += 1;
      show('', null);
    },
    async check(text) {
      const n = ++request;
      if (!text.trim()) {
        show('', null);
        return;
      }
      let answer;
      try {
        answer = await api.post('/guard/check', { conversation_id: conversationId, text });
      } catch (err) {
        if (!err.handled && err.status !== 422) report(err);
        return;
      }
      if (n !== request) return; // a newer check is on its way
      const reasons = (answer.reasons || []).join('; ') || 'it reads as clinical';
      if (answer.clinical && (answer.action === 'warn' || answer.action === 'block')) {
        const key = `${answer.action}|${reasons}`;
        show(key, () => {
          const button = h('button', { type: 'button', class: 'button small secondary' }, icon('shield'), h('span', null, 'Send through secure page'));
          button.addEventListener('click', () => onSecurePage());
          const lead = answer.action === 'block'
            ? 'Your practice sends messages like this only through the secure page.'
            : 'It will be safer through the secure page.';
          return h('div', { class: 'guard-warning' },
            icon('alert'),
            h('div', null,
              h('p', null, `This reads as clinical (${reasons}). ${lead}`),
              h('div', { class: 'form-actions' }, button)));
        });
      } else if (answer.clinical) {
        show(`note|${reasons}|${answer.would_send_as}`, () => h('p', { class: 'guard-note' },
          `This reads as clinical (${reasons}). ${ROUTES[answer.would_send_as] || ''}`.trim()));
      } else if (answer.would_send_as && ROUTES[answer.would_send_as]) {
        show(`route|${answer.would_send_as}`, () => h('p', { class: 'guard-note' }, ROUTES[answer.would_send_as]));
      } else {
        show('', null);
      }
    },
  };
}

/** The first sentence of the guard's refusal (the rest names API fields, not buttons). */
export function refusalSentence(detail) {
  const text = String(detail || '');
  const m = /^(.*?[.!?])\s+[A-Z]/.exec(text);
  return m ? m[1] : text;
}
