// "In session" status: one tap from the header. Colleagues' status shows next to their names.

import * as api from '../api.js';
import { busy, formatTime, h, icon, notify, report, uid } from '../dom.js';
import { inSessionUntil, on, setStatus, state } from '../state.js';

/** "In session until 2:50 pm", or '' when the person is not in session. */
export function statusText(userId) {
  const until = inSessionUntil(userId);
  return until ? `In session until ${formatTime(until)}` : '';
}

const CHOICES = [30, 50, 90];

/** The header control: a "Set status" button that opens a small panel of choices. */
export function mountStatus(slot) {
  const panelId = uid('status');
  const current = h('span', { class: 'status-current' });
  const button = h('button', { type: 'button', class: 'header-button status-button', 'aria-expanded': 'false', 'aria-controls': panelId },
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
    // The hidden comma keeps the accessible name two phrases ("Set status, Available").
    h('span', { class: 'status-text' }, h('span', { class: 'status-label' }, 'Set status'),
      h('span', { class: 'sr-only' }, ', '), current));
  const panel = h('div', { id: panelId, class: 'popover status-panel', hidden: true });
  const wrap = h('div', { class: 'status-control' }, button, panel);
  slot.replaceChildren(wrap);

  const close = ({ focus = false } = {}) => {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    document.removeEventListener('keydown', escape, true);
    if (focus) button.focus();
  };
  const outside = (e) => {
    if (!wrap.contains(e.target)) close();
  };
  const escape = (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close({ focus: true });
    }
  };

  async function apply(call, doneText) {
    try {
      const result = await call();
      setStatus(state.me.id, result ? result.in_session_until : null);
      close({ focus: true });
      notify(doneText(), { kind: 'success', timeout: 4000 });
    } catch (err) {
      report(err);
    }
  }

  function buildPanel() {
    const mine = state.me ? inSessionUntil(state.me.id) : null;
    const parts = [
      h('p', { class: 'popover-title' }, 'Your status'),
      h('p', { class: 'popover-note' }, mine
        ? `In session until ${formatTime(mine)}. Non-urgent notifications wait until then.`
        : 'Available. While you are in session, only urgent messages notify you.'),
    ];
    for (const minutes of CHOICES) {
      const b = h('button', { type: 'button', class: 'menu-choice' }, icon('clock'), h('span', { class: 'btn-label' }, `In session for ${minutes} minutes`));
      b.addEventListener('click', () => busy(b, () => apply(
        () => api.put('/me/status', { minutes }),
        () => statusText(state.me.id) || 'Status set.',
      )));
      parts.push(b);
    }
    const time = h('input', { type: 'time', required: true, class: 'until-input' });
    const defaultUntil = new Date(Date.now() + 60 * 60000);
    time.value = `${String(defaultUntil.getHours()).padStart(2, '0')}:${String(defaultUntil.getMinutes()).padStart(2, '0')}`;
    const timeId = uid('until');
    time.id = timeId;
    const setUntil = h('button', { type: 'submit', class: 'button secondary small' }, h('span', { class: 'btn-label' }, 'Set time'));
    const untilForm = h('form', { class: 'until-form' },
      h('label', { for: timeId, class: 'field-label' }, 'In session until'),
      h('div', { class: 'until-row' }, time, setUntil));
    untilForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const [hh, mm] = (time.value || '').split(':').map(Number);
      if (Number.isNaN(hh) || Number.isNaN(mm)) {
        notify('Choose the time your session ends.');
        return;
      }
      const until = new Date();
      until.setHours(hh, mm, 0, 0);
      if (until.getTime() <= Date.now()) until.setDate(until.getDate() + 1); // a time already past: tomorrow
      busy(setUntil, () => apply(
        () => api.put('/me/status', { until: until.toISOString() }),
        () => statusText(state.me.id) || 'Status set.',
      ));
    });
    parts.push(untilForm);
    if (mine) {
      const end = h('button', { type: 'button', class: 'menu-choice end-session' }, icon('check'), h('span', { class: 'btn-label' }, 'End session'));
      end.addEventListener('click', () => busy(end, () => apply(
        () => api.del('/me/status'),
        () => 'You are available again.',
      )));
      parts.push(end);
    }
    panel.replaceChildren(...parts);
  }

  button.addEventListener('click', () => {
    if (!panel.hidden) {
      close();
      return;
    }
    buildPanel();
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', outside, true);
    document.addEventListener('keydown', escape, true);
    const first = panel.querySelector('button');
    if (first) first.focus();
  });

  function render() {
    const mine = state.me ? inSessionUntil(state.me.id) : null;
    current.textContent = mine ? `In session until ${formatTime(mine)}` : 'Available';
    wrap.classList.toggle('is-in-session', !!mine);
    if (!panel.hidden && !panel.contains(document.activeElement)) buildPanel();
  }
  const offs = [on('users', render), on('tick', render), on('me', render)];
  render();
  return {
    destroy() {
      close();
      offs.forEach((off) => off());
    },
  };
}
