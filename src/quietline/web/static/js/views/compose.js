// Writing a message: Enter sends on desktop (Shift+Enter: new line), a large Send button on
// phones, quick replies that fill and send, Urgent, Expires. Every send has its own random
// idempotency key; a failed send stays on screen with "Retry", which reuses that key.
//
// In a client's thread (`client: true`) the message goes to POST .../client-messages instead:
// "Staff note" (never sent to the client), "Templates" (an approved template with its values)
// and the live clinical-content warning take the place of quick replies, Urgent and Expires.
// Someone whose role may not message clients (`may_message_client: false`) writes staff notes
// only: the box stays on "Staff note", with one line saying why.

import * as api from '../api.js';
import { h, icon, isDesktop, uid } from '../dom.js';
import { addMessage, dropPending, emit, on, putPending, state } from '../state.js';
import {
  NOTE_ONLY_TEXT, guardPanel, isClinicalRefusal, mayMessageClient, openTemplatePicker,
} from './client-thread.js';

const EXPIRY_CHOICES = [
  ['', 'Practice default'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
];
const MAX_LENGTH = 4000;
const expiryChoice = new Map(); // conversation id -> chosen ttl (memory only, for this visit)

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Send (or re-send) a pending entry. Success: the message replaces it. Failure: marked failed. */
export async function sendPending(conversationId, entry) {
  entry.status = 'sending';
  entry.error = '';
  putPending(conversationId, entry);
  entry.clinical = null;
  const payload = { body: entry.body, idempotency_key: entry.key, urgent: entry.urgent };
  if (entry.ttl_seconds) payload.ttl_seconds = entry.ttl_seconds;
  const epoch = state.epoch;
  try {
    let message;
    if (entry.client) {
      // A client's thread: {text | template_id + values, internal, delivery, acknowledge_clinical}.
      const answer = await api.post(`/conversations/${api.seg(conversationId)}/client-messages`,
        { ...entry.client, idempotency_key: entry.key });
      message = answer.message;
    } else {
      message = await api.post(`/conversations/${api.seg(conversationId)}/messages`, payload);
    }
    if (epoch !== state.epoch) return;
    dropPending(conversationId, entry.key);
    addMessage(message, { countUnread: false });
    emit(`sent:${conversationId}`, message);
  } catch (err) {
    if (epoch !== state.epoch) return;
    if (err.handled) return; // wiped or locked: nothing left to show
    // Its live copy arrived while it was sending (state.js settled the entry with it): it was
    // sent and is on screen; only the answer was lost. Showing it again as "Not sent" would
    // invite a second, different message.
    if (entry.messageId) return;
    entry.status = 'failed';
    entry.error = err.detail || 'Not sent.';
    // The clinical-content guard stopped it: thread.js offers the secure page (and, when the
    // practice only warns, "Send anyway") instead of a plain Retry.
    if (isClinicalRefusal(err)) entry.clinical = { options: Array.isArray(err.body.options) ? err.body.options : ['secure_page'] };
    putPending(conversationId, entry);
  }
}

export function discardPending(conversationId, key) {
  dropPending(conversationId, key);
}

/**
 * The compose form for one conversation. `onSend()` runs after a message is queued (the thread
 * scrolls to it). `client`: a client's thread (see the top of this file).
 */
export function mountCompose(container, conversationId, { onSend, client = false } = {}) {
  const textId = uid('msg');
  const hintId = uid('hint');
  const text = h('textarea', {
    id: textId, class: 'compose-text', rows: '1', maxlength: String(MAX_LENGTH), autocomplete: 'off',
    'aria-describedby': hintId, enterkeyhint: 'send', spellcheck: 'true',
  });
  text.value = state.drafts.get(conversationId) || '';
  const urgent = h('input', { type: 'checkbox', id: uid('urgent'), class: 'check-input' });
  const expires = h('select', { id: uid('expires'), class: 'select-small' },
    EXPIRY_CHOICES.map(([value, label]) => h('option', { value }, label)));
  expires.value = expiryChoice.get(conversationId) || '';
  expires.addEventListener('change', () => expiryChoice.set(conversationId, expires.value));
  const sendButton = h('button', { type: 'submit', class: 'send-button' }, icon('send'), h('span', { class: 'send-label' }, 'Send'));
  const hint = h('p', { id: hintId, class: 'compose-hint' });
  const counter = h('span', { class: 'compose-count', 'aria-live': 'polite' });
  const replies = h('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Quick replies' });
  // Client threads: a staff-only note, a template, and the clinical-content guard.
  const note = h('input', { type: 'checkbox', id: uid('note'), class: 'check-input' });
  const templatesButton = h('button', { type: 'button', class: 'button small subtle', 'aria-haspopup': 'dialog' },
    h('span', null, 'Templates'));
  const guard = client ? guardPanel(conversationId, { onSecurePage: () => submitText({ delivery: 'secure_page' }) }) : null;
  const noteOnly = h('p', { class: ['note-flag', 'compose-note-only'], role: 'note', hidden: true }, icon('lock'), h('span', null, NOTE_ONLY_TEXT));
  let notesOnly = false;

  const form = h('form', { class: ['compose', client && 'compose-client'], novalidate: true },
    client ? guard.panel : replies,
    client ? noteOnly : null,
    client
      ? h('div', { class: 'compose-options' },
        h('label', { class: 'check', for: note.id }, note, h('span', null, 'Staff note')),
        templatesButton,
        h('span', { class: 'compose-spacer' }),
        counter)
      : h('div', { class: 'compose-options' },
        h('label', { class: 'check', for: urgent.id }, urgent, h('span', null, 'Urgent')),
        h('span', { class: 'expires-field' },
          h('label', { for: expires.id, class: 'expires-label' }, 'Expires'),
          expires),
        h('span', { class: 'compose-spacer' }),
        counter),
    h('div', { class: 'compose-row' },
      h('div', { class: 'compose-field' },
        h('label', { for: textId, class: 'compose-label' }, 'Message'),
        text),
      sendButton),
    hint);
  container.replaceChildren(form);

  function updateHint() {
    const how = isDesktop()
      ? 'Enter sends. Shift+Enter starts a new line.'
      : 'Use the Send button to send.';
    hint.textContent = client && note.checked
      ? `Staff note — not sent to the client. Only staff in this thread see it. ${how}`
      : how;
  }

  function autoSize() {
    const lines = text.value.split('\n').length;
    text.rows = Math.min(6, Math.max(1, lines));
    const left = MAX_LENGTH - text.value.length;
    counter.textContent = left < 200 ? `${left} characters left` : '';
  }

  function submit(body = text.value) {
    if (client) {
      submitText();
      return;
    }
    const clean = body.replace(/\s+$/u, '');
    if (!clean.trim()) {
      text.focus();
      return;
    }
    const entry = {
      key: newKey(),
      body: clean,
      urgent: urgent.checked,
      ttl_seconds: expires.value ? Number(expires.value) : null,
      created: Date.now(),
      status: 'sending',
      error: '',
    };
    if (body === text.value) {
      text.value = '';
      state.drafts.delete(conversationId);
      autoSize();
    }
    urgent.checked = false;
    sendPending(conversationId, entry);
    if (onSend) onSend(entry);
  }

  /** Client threads: the text in the box as a message to the client (or a staff note). */
  function submitText({ delivery = 'auto' } = {}) {
    const clean = text.value.replace(/\s+$/u, '');
    if (!clean.trim()) {
      text.focus();
      return;
    }
    const internal = note.checked;
    const entry = {
      key: newKey(),
      body: clean,
      urgent: false,
      created: Date.now(),
      status: 'sending',
      error: '',
      client: { text: clean, internal, delivery: internal ? 'auto' : delivery },
    };
    text.value = '';
    state.drafts.delete(conversationId);
    autoSize();
    guard.clear();
    sendPending(conversationId, entry);
    if (onSend) onSend(entry);
    text.focus();
  }

  /** Client threads: an approved template with its values. */
  function submitTemplate({ template_id: templateId, values, text: shown }) {
    const entry = {
      key: newKey(),
      body: shown,
      urgent: false,
      created: Date.now(),
      status: 'sending',
      error: '',
      client: { template_id: templateId, values },
    };
    sendPending(conversationId, entry);
    if (onSend) onSend(entry);
    text.focus();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
    text.focus();
  });
  text.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.isComposing || e.keyCode === 229) return;
    if (e.shiftKey || e.altKey) return; // a new line
    if (e.ctrlKey || e.metaKey || isDesktop()) {
      e.preventDefault();
      submit();
    }
  });
  let guardTimer = 0;
  function guardSoon() {
    if (!client) return;
    clearTimeout(guardTimer);
    if (note.checked || !text.value.trim()) {
      guard.clear();
      return;
    }
    guardTimer = setTimeout(() => guard.check(text.value), 450);
  }
  text.addEventListener('input', () => {
    if (text.value) state.drafts.set(conversationId, text.value);
    else state.drafts.delete(conversationId);
    autoSize();
    guardSoon();
  });
  note.addEventListener('change', () => {
    form.classList.toggle('is-note', note.checked);
    updateHint();
    guardSoon();
  });
  templatesButton.addEventListener('click', () => openTemplatePicker(submitTemplate));

  /** Client threads: staff notes only while the practice does not let this role message clients. */
  function applySenderRule() {
    if (!client) return;
    const only = !mayMessageClient(state.conversations.get(conversationId));
    if (only === notesOnly) return;
    notesOnly = only;
    note.checked = only;
    note.disabled = only;
    templatesButton.hidden = only;
    noteOnly.hidden = !only;
    form.classList.toggle('is-note', note.checked);
    updateHint();
    guardSoon();
  }

  function renderReplies() {
    if (client) return; // templates instead: free text to a client goes through the guard
    const list = state.quickReplies || [];
    replies.hidden = list.length === 0;
    replies.replaceChildren(...list.map((reply) => {
      const b = h('button', { type: 'button', class: 'chip' }, reply);
      // Sends the reply as it is; a half-written draft in the box stays there.
      b.addEventListener('click', () => submit(reply));
      return b;
    }));
  }

  const media = window.matchMedia('(hover: hover) and (pointer: fine)');
  media.addEventListener('change', updateHint);
  const offs = [on('quick-replies', renderReplies), on('policy', updateHint), on('conversations', applySenderRule)];
  applySenderRule();
  renderReplies();
  updateHint();
  autoSize();
  guardSoon(); // a draft kept from an earlier visit

  return {
    focus() {
      text.focus({ preventScroll: true });
    },
    destroy() {
      clearTimeout(guardTimer);
      media.removeEventListener('change', updateHint);
      offs.forEach((off) => off());
    },
  };
}
