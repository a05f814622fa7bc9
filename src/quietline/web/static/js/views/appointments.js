// Appointments (#/appointments): today's and the next two weeks', for me (clinicians) or for
// everyone (owners, admins, the front desk: the server decides what each person sees). Each
// shows its time, client, clinician, room and status (Confirmed, Reschedule requested,
// Awaiting confirmation), with the one-tap "Ask to confirm". "Running late…" tells the client
// of my next appointment (5, 10, 15 or 20 minutes); "New appointment" books one.
//
// Times are shown and typed in the practice's time zone, the one clients are sent.

import * as api from '../api.js';
import { busy, fill, h, icon, notify, openDialog, report, uid } from '../dom.js';
import { on, seesAllClients, state, userName } from '../state.js';
import { clockIn, dayIn, dayLabel, timeIn, wallToDate } from '../zone.js';
import {
  appointmentStatus, clinicians, confirmStep, keepFocus, labelled, loadClientDirectory, loadClientMessaging,
  practiceZone, problemBox, sentSentence, showFailure, showProblem, statusClass,
} from './parts.js';

const DAYS_AHEAD = 14;
const LATE_CHOICES = [5, 10, 15, 20];
const isClinical = (u) => !!u && u.role !== 'front_desk';

/**
 * Whether the signed-in person may text clients under the practice's "Who may message
 * clients" (owners always). Unknown settings count as yes: the server decides either way, and
 * refuses with a sentence.
 */
function maySendToClients() {
  const s = state.clientMessaging;
  if (!s || !state.me || !Array.isArray(s.client_senders)) return true;
  return state.me.role === 'owner' || s.client_senders.includes(state.me.role);
}

export function mountAppointments(main) {
  const ctx = { destroyed: false };
  let directory = new Map(); // client id -> summary
  let appointments = [];
  let request = 0;
  let reloadTimer = 0;
  const manager = seesAllClients();
  const titleId = uid('appts');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'Appointments');
  const newButton = h('button', { type: 'button', class: 'button primary small' }, icon('plus'), h('span', null, 'New appointment'));
  newButton.addEventListener('click', () => openNewAppointment({ directory, onBooked: load }));
  const lateButton = h('button', { type: 'button', class: 'button subtle small', 'aria-haspopup': 'dialog' }, icon('clock'), h('span', null, 'Running late…'));
  lateButton.addEventListener('click', () => openRunningLate(directory));
  const who = h('select', null, h('option', { value: '' }, 'Everyone'));
  const whoField = manager ? labelled('Show', who, { className: 'appt-filter' }) : null;
  who.addEventListener('change', () => render());
  const zoneNote = h('p', { class: 'page-lead' });
  const days = h('div', { class: 'appt-days', 'aria-live': 'polite', 'aria-busy': 'true' },
    h('p', { class: 'empty-note' }, 'Loading appointments…'));
  fill(main,
    h('section', { class: 'page-view appointments-view', 'aria-labelledby': titleId },
      h('div', { class: 'page-head row-head' }, title, h('div', { class: 'form-actions' }, lateButton, newButton)),
      zoneNote,
      whoField ? h('div', { class: 'appt-toolbar' }, whoField.wrap) : null,
      days));
  document.title = 'Appointments · Quietline';

  function fillWho() {
    if (!manager) return;
    const current = who.value;
    const people = clinicians();
    fill(who, h('option', { value: '' }, 'Everyone'),
      people.map((u) => h('option', { value: u.id }, state.me && u.id === state.me.id ? `${u.display_name} (you)` : u.display_name)));
    who.value = people.some((u) => u.id === current) ? current : '';
  }

  function clientLabel(id) {
    const c = directory.get(id);
    return c ? c.display_name : 'Client';
  }

  function row(a, { zone, today }) {
    const starts = new Date(a.starts_at);
    const ends = new Date(starts.getTime() + a.length_minutes * 60000);
    const past = ends.getTime() < Date.now();
    const headId = uid('appt');
    const name = clientLabel(a.client_id);
    const meta = [];
    if (manager || a.clinician_id !== (state.me && state.me.id)) meta.push(`With ${userName(a.clinician_id)}`);
    if (a.room) meta.push(`Room: ${a.room}`);
    if (a.late_minutes && a.late_sent_at) meta.push(`Told the client: running about ${a.late_minutes} min late`);
    const actionsEl = h('div', { class: 'appt-actions' });
    const askable = a.status === 'scheduled' && starts.getTime() > Date.now() && maySendToClients();
    if (askable) {
      const ask = h('button', { type: 'button', class: 'button small secondary', 'aria-describedby': headId, dataset: { focusKey: `${a.id}:ask` } },
        h('span', { class: 'btn-label' }, a.confirmation_requested_at ? 'Ask again' : 'Ask to confirm'));
      ask.addEventListener('click', () => busy(ask, async () => {
        const sent = await api.post(`/appointments/${api.seg(a.id)}/confirmation-request`);
        replace(sent.appointment);
        notify(`${sentSentence(sent, name)} They can reply C to confirm or R to reschedule.`, { kind: 'success' });
      }, 'Asking…'));
      actionsEl.appendChild(ask);
    }
    if (a.status !== 'cancelled' && !past) {
      const cancel = h('button', { type: 'button', class: 'link-button', 'aria-describedby': headId, dataset: { focusKey: `${a.id}:cancel` } }, 'Cancel appointment');
      cancel.addEventListener('click', async () => {
        const yes = await confirmStep('Cancel this appointment?',
          [`${name}, ${dayLabel(dayIn(starts, zone), { today })} at ${timeIn(starts, zone)}. Nothing is sent to the client: tell them yourself.`],
          'Cancel appointment');
        if (!yes) return;
        try {
          replace(await api.post(`/appointments/${api.seg(a.id)}/cancel`));
          notify('The appointment was cancelled.', { kind: 'success' });
        } catch (err) {
          report(err);
        }
      });
      actionsEl.appendChild(cancel);
    }
    return h('li', { class: ['card', 'appt-row', past && 'is-past', a.status === 'cancelled' && 'is-cancelled'] },
      h('div', { class: 'appt-time' },
        h('span', { class: 'appt-start' }, timeIn(starts, zone)),
        h('span', { class: 'appt-length' }, `${a.length_minutes} min`)),
      h('div', { class: 'appt-main' },
        h('p', { id: headId, class: 'appt-client' },
          h('a', { href: `#/clients/${a.client_id}` }, name),
          h('span', { class: 'sr-only' }, `, ${dayLabel(dayIn(starts, zone), { today })} at ${timeIn(starts, zone)}`)),
        meta.length ? h('p', { class: 'row-meta' }, meta.join(' · ')) : null,
        h('p', { class: 'appt-status' }, h('span', { class: ['tag', statusClass(a)] }, appointmentStatus(a)))),
      actionsEl);
  }

  function replace(updated) {
    appointments = appointments.map((a) => (a.id === updated.id ? updated : a));
    render();
  }

  function render() {
    if (ctx.destroyed) return;
    // Texting the client (running late, asking to confirm) only for those who may.
    lateButton.hidden = !maySendToClients();
    const zone = practiceZone();
    const today = dayIn(new Date(), zone);
    zoneNote.textContent = `Today and the next ${DAYS_AHEAD} days. Times are in the practice’s time zone (${zone}).`;
    const filter = manager ? who.value : '';
    const shown = appointments.filter((a) => (!filter || a.clinician_id === filter) && dayIn(a.starts_at, zone) >= today);
    const byDay = new Map();
    for (const a of shown) {
      const day = dayIn(a.starts_at, zone);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(a);
    }
    if (!byDay.has(today)) byDay.set(today, []);
    const ordered = [...byDay.keys()].sort();
    const sections = ordered.map((day) => {
      const headId = uid('day');
      const items = byDay.get(day).sort((x, y) => new Date(x.starts_at) - new Date(y.starts_at));
      return h('section', { class: 'appt-day', 'aria-labelledby': headId },
        h('h2', { id: headId, class: 'appt-day-title' }, dayLabel(day, { today })),
        items.length
          ? h('ul', { class: 'card-list appt-list', 'aria-labelledby': headId }, items.map((a) => row(a, { zone, today })))
          : h('p', { class: 'row-meta' }, day === today ? 'No appointments today.' : 'None.'));
    });
    if (ordered.length === 1 && !shown.length) {
      sections.push(h('p', { class: 'row-meta' }, `Nothing booked for the next ${DAYS_AHEAD} days either.`));
    }
    days.setAttribute('aria-busy', 'false');
    keepFocus(days, () => fill(days, sections));
    shownKey = drawKey();
  }

  // What the clock changes on screen (the day, appointments passing): redraw only then.
  let shownKey = '';
  function drawKey() {
    const zone = practiceZone();
    const now = Date.now();
    return [dayIn(new Date(), zone), ...appointments.map((a) => {
      const starts = new Date(a.starts_at).getTime();
      return `${starts > now ? 1 : 0}${starts + a.length_minutes * 60000 < now ? 1 : 0}`;
    })].join('|');
  }

  async function load() {
    const n = ++request;
    const now = Date.now();
    const query = new URLSearchParams({
      from: new Date(now - 86400000).toISOString(),
      to: new Date(now + (DAYS_AHEAD + 1) * 86400000).toISOString(),
    });
    try {
      const [found] = await Promise.all([
        api.get(`/appointments?${query}`),
        loadClientMessaging().catch(() => null),
      ]);
      if (ctx.destroyed || n !== request) return;
      if (found.some((a) => !directory.has(a.client_id))) directory = await loadClientDirectory();
      if (ctx.destroyed || n !== request) return;
      appointments = found;
      fillWho();
      render();
    } catch (err) {
      if (ctx.destroyed || n !== request) return;
      showFailure(days, err, 'The appointments');
    }
  }

  const offs = [
    on('appointments', () => {
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(load, 200);
    }),
    on('users', () => { fillWho(); render(); }),
    on('tick', () => { if (drawKey() !== shownKey) render(); }),
  ];
  load();

  return {
    focus() { title.focus({ preventScroll: true }); },
    destroy() {
      ctx.destroyed = true;
      clearTimeout(reloadTimer);
      offs.forEach((off) => off());
      document.title = 'Quietline';
    },
  };
}

// -- running late ------------------------------------------------------------------------------
export function openRunningLate(directory = new Map()) {
  openDialog('Running late', (body, close) => {
    const me = state.me;
    const manager = seesAllClients();
    const people = clinicians();
    let whose = null;
    if (manager) {
      whose = h('select', null, people.map((u) => h('option', { value: u.id }, me && u.id === me.id ? `${u.display_name} (you)` : u.display_name)));
      if (me && isClinical(me) && people.some((u) => u.id === me.id)) whose.value = me.id;
    }
    const problem = problemBox();
    const buttons = LATE_CHOICES.map((minutes) => {
      const b = h('button', { type: 'button', class: 'button secondary late-choice' }, h('span', { class: 'btn-label' }, `${minutes} minutes`));
      b.addEventListener('click', () => busy(b, async () => {
        showProblem(problem, '');
        const payload = { minutes };
        if (whose && whose.value && (!me || whose.value !== me.id)) payload.clinician_id = whose.value;
        try {
          const sent = await api.post('/running-late', payload);
          let names = directory;
          if (!names.has(sent.appointment.client_id)) names = await loadClientDirectory().catch(() => new Map());
          const c = names.get(sent.appointment.client_id);
          close();
          notify(`${sentSentence(sent, c ? c.display_name : 'the client')} Running about ${minutes} minutes late.`, { kind: 'success' });
        } catch (err) {
          if (!err.handled) showProblem(problem, err.detail);
        }
      }, 'Sending…'));
      return b;
    });
    fill(body,
      h('p', { class: 'dialog-lead' }, manager && whose
        ? 'The client of the next appointment today is told. Nobody else is.'
        : 'The client of your next appointment today is told. Nobody else is.'),
      whose ? labelled('Whose next appointment', whose).wrap : null,
      h('div', { class: 'late-choices', role: 'group', 'aria-label': 'How late?' }, buttons),
      problem);
    setTimeout(() => buttons[1].focus(), 0);
  }, { className: 'dialog-form' });
}

// -- booking -------------------------------------------------------------------------------------
/** "New appointment": client, clinician (staff who book for others), date, time, length, room. */
export function openNewAppointment({ clientId = null, directory = null, onBooked } = {}) {
  openDialog('New appointment', (body, close) => {
    const me = state.me;
    const manager = seesAllClients();
    const zone = practiceZone();
    const clientSelect = h('select', { required: true }, h('option', { value: '' }, 'Loading clients…'));
    const clinicianSelect = manager
      ? h('select', null, clinicians().map((u) => h('option', { value: u.id }, me && u.id === me.id ? `${u.display_name} (you)` : u.display_name)))
      : null;
    if (clinicianSelect && me && isClinical(me)) clinicianSelect.value = me.id;
    const now = new Date(Date.now() + 60 * 60000);
    const date = h('input', { type: 'date', required: true, value: dayIn(now, zone) });
    const time = h('input', { type: 'time', required: true, step: '300', value: `${clockIn(now, zone).slice(0, 2)}:00` });
    const length = h('input', { type: 'number', inputmode: 'numeric', min: '5', max: '480', step: '5', value: '50' });
    const room = h('input', { type: 'text', maxlength: '40', autocomplete: 'off' });
    const problem = problemBox();
    const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Book appointment'));
    const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
    cancel.addEventListener('click', close);
    const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'New appointment' },
      labelled('Client', clientSelect).wrap,
      clinicianSelect ? labelled('Clinician', clinicianSelect).wrap : null,
      h('div', { class: 'field-pair' },
        labelled('Date', date).wrap,
        labelled('Start time', time, { hint: `In the practice’s time zone (${zone}).` }).wrap),
      h('div', { class: 'field-pair' },
        labelled('Length (minutes)', length).wrap,
        labelled('Room', room, { hint: 'Optional.' }).wrap),
      problem,
      h('div', { class: 'form-actions' }, save, cancel));
    fill(body, form);

    (async () => {
      try {
        const names = directory && directory.size ? directory : await loadClientDirectory();
        if (!body.isConnected) return;
        const list = [...names.values()].filter((c) => !c.archived_at)
          .sort((a, b) => a.display_name.localeCompare(b.display_name));
        fill(clientSelect, h('option', { value: '' }, list.length ? 'Choose a client' : 'No clients yet'),
          list.map((c) => h('option', { value: c.id }, c.display_name)));
        if (clientId) clientSelect.value = clientId;
      } catch (err) {
        report(err);
      }
    })();

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      showProblem(problem, '');
      if (!clientSelect.value) {
        showProblem(problem, 'Choose the client.');
        clientSelect.focus();
        return;
      }
      if (!date.value || !time.value) {
        showProblem(problem, 'Enter the date and the start time.');
        (date.value ? time : date).focus();
        return;
      }
      const minutes = Number(length.value);
      if (!Number.isInteger(minutes)) {
        showProblem(problem, 'Enter the length as a whole number of minutes.');
        length.focus();
        return;
      }
      const payload = {
        client_id: clientSelect.value,
        starts_at: wallToDate(date.value, time.value, zone).toISOString(),
        length_minutes: minutes,
      };
      if (clinicianSelect && clinicianSelect.value) payload.clinician_id = clinicianSelect.value;
      if (room.value.trim()) payload.room = room.value.trim();
      busy(save, async () => {
        try {
          const booked = await api.post('/appointments', payload);
          close();
          notify(`Booked for ${dayLabel(dayIn(booked.starts_at, zone), { today: dayIn(new Date(), zone) })} at ${timeIn(booked.starts_at, zone)}.`, { kind: 'success' });
          if (onBooked) onBooked(booked);
        } catch (err) {
          if (!err.handled) showProblem(problem, err.detail);
        }
      }, 'Booking…');
    });
    setTimeout(() => (clientId ? date : clientSelect).focus(), 0);
  }, { className: 'dialog-form' });
}
