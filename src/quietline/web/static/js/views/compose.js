// Writing a message: Enter sends on desktop (Shift+Enter: new line), a large Send button on
// phones, quick replies that fill and send, Urgent, Expires. Every send has its own random
// idempotency key; a failed send stays on screen with "Retry", which reuses that key.

import * as api from '../api.js';
import { h, icon, isDesktop, uid } from '../dom.js';
import { addMessage, dropPending, emit, on, putPending, state } from '../state.js';

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
  const payload = { body: entry.body, idempotency_key: entry.key, urgent: entry.urgent };
  if (entry.ttl_seconds) payload.ttl_seconds = entry.ttl_seconds;
  const epoch = state.epoch;
  try {
    const message = await api.post(`/conversations/${api.seg(conversationId)}/messages`, payload);
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
    putPending(conversationId, entry);
  }
}

export function discardPending(conversationId, key) {
  dropPending(conversationId, key);
}

/**
 * The compose form for one conversation. `onSend()` runs after a message is queued (the thread
 * scrolls to it).
 */
export function mountCompose(container, conversationId, { onSend } = {}) {
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

  const form = h('form', { class: 'compose', novalidate: true },
    replies,
    h('div', { class: 'compose-options' },
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
    hint.textContent = isDesktop()
      ? 'Enter sends. Shift+Enter starts a new line.'
      : 'Use the Send button to send.';
  }

  function autoSize() {
    const lines = text.value.split('\n').length;
    text.rows = Math.min(6, Math.max(1, lines));
    const left = MAX_LENGTH - text.value.length;
    counter.textContent = left < 200 ? `${left} characters left` : '';
  }

  function submit(body = text.value) {
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
  text.addEventListener('input', () => {
    if (text.value) state.drafts.set(conversationId, text.value);
    else state.drafts.delete(conversationId);
    autoSize();
  });

  function renderReplies() {
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
  const offs = [on('quick-replies', renderReplies), on('policy', updateHint)];
  renderReplies();
  updateHint();
  autoSize();

  return {
    focus() {
      text.focus({ preventScroll: true });
    },
    destroy() {
      media.removeEventListener('change', updateHint);
      offs.forEach((off) => off());
    },
  };
}
