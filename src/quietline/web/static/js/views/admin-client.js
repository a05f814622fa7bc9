// Two pages of the practice administration (owners and admins), for client messaging:
//
// * #/admin/client-messaging: the practice's SMS number and e-mail sender, time zone, office
//   hours and holidays, the words of its automatic replies (the crisis reply must keep 988 and
//   911: the server says so, and its sentence is shown next to the field), the secure-link
//   notice, the consent warning, whether the front desk is in client threads, who may message
//   clients (roles; owners always may), what may go in plain text, the clinical-content guard,
//   reminders and the secure page's limits
//   (GET/PUT /practice/client-messaging); and the approved scheduling templates
//   (/message-templates).
// * #/admin/on-call: who is on call, and when (/on-call): crisis alerts go to them.
//
// The server decides who may change what; everyone else sees its refusal as a sentence.

import * as api from '../api.js';
import { busy, fill, h, icon, notify, uid } from '../dom.js';
import { state, userName } from '../state.js';
import { dayIn, knownZones, wallToDate, whenIn } from '../zone.js';
import { card, confirmStep, labelled, problemBox, showFailure, showProblem } from './parts.js';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const TEXTS = [
  { key: 'crisis_reply', label: 'Crisis reply', rows: 4, hint: 'Sent at once, at any hour and even without consent, when a client’s message reads as a crisis. Reword it freely, but keep 988 (call or text) and 911.' },
  { key: 'crisis_reply_spanish', label: 'Crisis reply in Spanish', rows: 4, hint: 'Sent instead of the crisis reply when the client wrote in Spanish. Reword it freely, but keep 988 (call or text; 988 answers in Spanish) and 911.' },
  { key: 'after_hours_reply', label: 'After-hours reply', rows: 3, hint: 'Sent once to a client who writes outside office hours or on a holiday. Say when to expect an answer; keep 911 for emergencies.' },
  { key: 'late_reply', label: 'Running-late reply', rows: 2, hint: 'Sent when a client writes that they are running late.' },
  { key: 'help_reply', label: 'HELP reply', rows: 3, hint: 'The answer to a text of HELP. It must say how to stop texts (reply STOP).' },
  { key: 'notice_text', label: 'Secure link notice', rows: 2, hint: 'What a client gets instead of a message they did not agree to receive in plain text. It must hold {link} exactly once.' },
  { key: 'consent_warning', label: 'Consent warning', rows: 5, hint: 'Shown to the client (read out or shown) before staff record their consent to plain messages, and stored word for word with each answer.' },
];
// "Who may message clients": the roles, in the server's order; owners always may.
const SENDER_ROLES = [
  ['owner', 'Owners (always)'], ['admin', 'Admins'], ['supervisor', 'Supervisors'],
  ['clinician', 'Clinicians'], ['front_desk', 'Front desk'],
];
const NUMBERS = [
  { key: 'reminder_hours_before', label: 'Reminder (hours before; 0 for none)', min: 0, max: 168 },
  { key: 'link_ttl_hours', label: 'Secure links last (hours)', min: 1, max: 336 },
  { key: 'client_session_idle_minutes', label: 'Client page idle limit (minutes)', min: 1, max: 60 },
  { key: 'client_session_absolute_minutes', label: 'Client page longest visit (minutes)', min: 5, max: 240 },
];
// Words of the server's sentences -> the field they are about (for showing them next to it).
const DETAIL_FIELDS = [
  ['spanish crisis reply', 'crisis_reply_spanish'], ['crisis reply', 'crisis_reply'], ['after-hours reply', 'after_hours_reply'], ['running-late reply', 'late_reply'],
  ['help reply', 'help_reply'], ['notice', 'notice_text'], ['consent warning', 'consent_warning'],
  ['sms number', 'sms_number'], ['sender address', 'email_from'], ['time zone', 'timezone'],
  ['office hours', 'hours'], ['holiday', 'holidays'], ['reminders', 'reminder_hours_before'],
  ['secure link', 'link_ttl_hours'], ['idle limit', 'client_session_idle_minutes'], ['session limit', 'client_session_absolute_minutes'],
  ['who may message clients', 'client_senders'],
];

export function clientMessagingPage(body, ctx) {
  let current = null;
  const errors = new Map(); // field -> {input, error}
  const summary = problemBox();
  const advice = h('div', { class: 'callout callout-warning', hidden: true });
  const openNow = h('p', { class: 'card-note' });
  const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Save client messaging settings'));

  function withError(key, input, wrap) {
    const error = h('p', { id: uid('err'), class: 'field-error', hidden: true });
    const described = input.getAttribute('aria-describedby');
    input.setAttribute('aria-describedby', described ? `${described} ${error.id}` : error.id);
    wrap.appendChild(error);
    errors.set(key, { input, error });
    return wrap;
  }

  // -- sending ------------------------------------------------------------------------------
  const smsNumber = h('input', { type: 'tel', autocomplete: 'off', maxlength: '40' });
  const emailFrom = h('input', { type: 'email', autocomplete: 'off', maxlength: '320' });
  const zone = h('select');
  const sending = card('Sending',
    withError('sms_number', smsNumber, labelled('Practice SMS number', smsNumber, { hint: 'The number clients text, in international format (+15551234567). Empty: the server’s default number.' }).wrap),
    withError('email_from', emailFrom, labelled('E-mail sender', emailFrom, { hint: 'The address e-mail to clients comes from. Empty: the server’s default.' }).wrap),
    withError('timezone', zone, labelled('Time zone', zone, { hint: 'Office hours, appointments and reminders use it.' }).wrap));

  // -- office hours and holidays ----------------------------------------------------------
  let hours = []; // [{weekday, opens, closes}]
  let holidays = []; // ['2026-12-25']
  const hoursBody = h('div', { class: 'hours-grid' });
  const hoursError = h('p', { id: uid('err'), class: 'field-error', hidden: true });
  errors.set('hours', { input: hoursBody, error: hoursError });
  const holidayList = h('ul', { class: 'plain-list holiday-list', 'aria-label': 'Holidays' });
  const holidayInput = h('input', { type: 'date' });
  const addHoliday = h('button', { type: 'button', class: 'button small secondary' }, 'Add holiday');
  const holidaysError = h('p', { id: uid('err'), class: 'field-error', hidden: true });
  errors.set('holidays', { input: holidayInput, error: holidaysError });
  addHoliday.addEventListener('click', () => {
    const v = holidayInput.value;
    if (!v) {
      holidayInput.focus();
      return;
    }
    if (!holidays.includes(v)) holidays = [...holidays, v].sort();
    holidayInput.value = '';
    renderHolidays();
  });

  function renderHours() {
    const rows = WEEKDAYS.map((day, weekday) => {
      const ranges = hours.map((r, i) => ({ ...r, i })).filter((r) => r.weekday === weekday);
      const add = h('button', { type: 'button', class: 'link-button' }, ranges.length ? `Add more hours on ${day}` : `Open on ${day}`);
      add.addEventListener('click', () => {
        const last = ranges[ranges.length - 1];
        hours = [...hours, last ? { weekday, opens: last.closes < '23:00' ? last.closes : '09:00', closes: '23:59' } : { weekday, opens: '09:00', closes: '17:00' }];
        renderHours();
        const inputs = hoursBody.querySelectorAll(`[data-weekday="${weekday}"] input`);
        inputs[inputs.length - 2]?.focus();
      });
      const lines = ranges.map((r, n) => {
        const suffix = ranges.length > 1 ? ` (${n + 1})` : '';
        const opens = h('input', { type: 'time', value: r.opens, required: true });
        const closes = h('input', { type: 'time', value: r.closes, required: true });
        opens.addEventListener('change', () => { hours[r.i] = { ...hours[r.i], opens: opens.value }; });
        closes.addEventListener('change', () => { hours[r.i] = { ...hours[r.i], closes: closes.value }; });
        const remove = h('button', { type: 'button', class: 'button small subtle' }, ranges.length > 1 ? `Close ${day}${suffix}` : `Close on ${day}`);
        remove.addEventListener('click', () => {
          hours = hours.filter((_, i) => i !== r.i);
          renderHours();
        });
        return h('div', { class: 'hours-range' },
          labelled(`${day} opens${suffix}`, opens).wrap,
          labelled(`${day} closes${suffix}`, closes).wrap,
          remove);
      });
      return h('div', { class: 'hours-day', dataset: { weekday: String(weekday) } },
        h('p', { class: 'row-title' }, day, ranges.length ? null : h('span', { class: 'row-meta' }, ' — closed')),
        lines,
        add);
    });
    fill(hoursBody, rows);
  }

  function renderHolidays() {
    fill(holidayList, holidays.map((d) => {
      const remove = h('button', { type: 'button', class: 'button small subtle' }, `Remove ${d}`);
      remove.addEventListener('click', () => {
        holidays = holidays.filter((x) => x !== d);
        renderHolidays();
      });
      return h('li', { class: 'holiday-row' }, h('span', null, d), remove);
    }));
    holidayList.hidden = !holidays.length;
  }

  const hoursCard = card('Office hours',
    h('p', { class: 'card-lead' }, 'Outside these hours, and on holidays, clients who write get the after-hours reply.'),
    openNow, hoursBody, hoursError);
  const holidaysCard = card('Holidays',
    holidayList,
    h('div', { class: 'inline-form' }, labelled('Holiday', holidayInput).wrap, addHoliday),
    holidaysError);

  // -- the practice's words ---------------------------------------------------------------
  const texts = new Map();
  const wordsCard = card('Automatic replies and notices',
    h('p', { class: 'card-lead' }, 'What clients are sent in the practice’s name. Plain words only: these go out as they are.'),
    TEXTS.map((def) => {
      const input = h('textarea', { rows: String(def.rows), maxlength: def.key === 'consent_warning' ? '2000' : '480' });
      texts.set(def.key, input);
      return withError(def.key, input, labelled(def.label, input, { hint: def.hint }).wrap);
    }));

  // -- threads and safety -------------------------------------------------------------------
  const frontDesk = h('input', { type: 'checkbox', id: uid('fd'), class: 'check-input' });
  const dob = h('input', { type: 'checkbox', id: uid('dob'), class: 'check-input' });
  const plain = h('select', null,
    h('option', { value: 'templates_only' }, 'Approved templates only'),
    h('option', { value: 'logistics' }, 'Templates and scheduling text the guard passes'));
  const guard = h('select', null,
    h('option', { value: 'warn' }, 'Warn, and let staff send anyway'),
    h('option', { value: 'block' }, 'Block: only through the secure page'));
  const numbers = new Map();
  const senders = new Map(); // role -> checkbox
  const sendersHint = h('p', { id: uid('hint'), class: 'field-hint' }, 'Staff in these roles may send to clients: messages in a client’s thread and appointment texts (confirmation requests, running late). Everyone else in a thread writes staff notes only. Owners always may.');
  const sendersGroup = h('fieldset', { class: 'radio-group sender-roles', 'aria-describedby': sendersHint.id },
    h('legend', { class: 'field-label' }, 'Who may message clients'),
    sendersHint,
    SENDER_ROLES.map(([role, label]) => {
      const box = h('input', { type: 'checkbox', id: uid('send'), class: 'check-input', value: role });
      if (role === 'owner') {
        box.checked = true;
        box.disabled = true; // the server refuses a list without owners: no practice locks itself out
      }
      senders.set(role, box);
      return h('div', { class: 'check-line' }, box, h('label', { for: box.id }, label));
    }));
  const policyCard = card('Client threads and safety',
    h('div', { class: 'field field-check' },
      h('div', { class: 'check-line' }, frontDesk, h('label', { for: frontDesk.id, class: 'field-label' }, 'Front desk in client threads')),
      h('p', { class: 'field-hint' }, 'The front desk reads and answers every client’s thread. Off: only the assigned clinicians do.')),
    withError('client_senders', sendersGroup, h('div', { class: 'field' }, sendersGroup)),
    labelled('Plain messages', plain, { hint: 'What may go to a client who agreed to plain texts or e-mail. Anything else goes as a secure link.' }).wrap,
    labelled('Clinical-content guard', guard, { hint: 'When staff are about to send something that reads as clinical in plain text.' }).wrap,
    h('div', { class: 'field field-check' },
      h('div', { class: 'check-line' }, dob, h('label', { for: dob.id, class: 'field-label' }, 'Ask for the date of birth on the secure page')),
      h('p', { class: 'field-hint' }, 'A second check after the one-time code, for clients whose record has one.')),
    h('div', { class: 'field-pair' }, NUMBERS.map((def) => {
      const input = h('input', { type: 'number', inputmode: 'numeric', min: String(def.min), max: String(def.max), step: '1' });
      numbers.set(def.key, input);
      return withError(def.key, input, labelled(def.label, input).wrap);
    })));

  const form = h('form', { class: 'form client-messaging-form', novalidate: true, 'aria-label': 'Client messaging settings' },
    advice, sending, hoursCard, holidaysCard, wordsCard, policyCard,
    summary,
    h('div', { class: 'form-actions sticky-actions' }, save));
  const templatesSlot = h('div');
  const loading = h('p', { class: 'empty-note' }, 'Loading the settings…');
  form.hidden = true;
  fill(body,
    h('p', { class: 'page-lead' }, 'How the practice writes to its clients. On-call shifts are under “On call”.'),
    loading, form, templatesSlot);

  function setValues(s) {
    smsNumber.value = s.sms_number || '';
    emailFrom.value = s.email_from || '';
    fill(zone, knownZones(s.timezone).map((z) => h('option', { value: z }, z)));
    zone.value = s.timezone;
    hours = (s.hours || []).map((r) => ({ ...r }));
    holidays = [...(s.holidays || [])];
    renderHours();
    renderHolidays();
    for (const [key, input] of texts) input.value = s[key] || '';
    frontDesk.checked = !!s.front_desk_in_client_threads;
    const allowed = new Set(s.client_senders || SENDER_ROLES.map(([role]) => role));
    for (const [role, box] of senders) box.checked = role === 'owner' || allowed.has(role);
    dob.checked = !!s.require_date_of_birth;
    plain.value = s.plain_messages;
    guard.value = s.clinical_guard;
    for (const [key, input] of numbers) input.value = String(s[key]);
    openNow.textContent = s.open_now ? 'By these hours, the office is open now.' : 'By these hours, the office is closed now.';
    advice.hidden = !(s.warnings && s.warnings.length);
    fill(advice, icon('alert'), h('div', null, (s.warnings || []).map((w) => h('p', null, w))));
  }

  function clearErrors() {
    showProblem(summary, '');
    for (const { input, error } of errors.values()) {
      error.hidden = true;
      error.textContent = '';
      input.removeAttribute('aria-invalid');
    }
  }

  function fieldError(key, text) {
    const entry = errors.get(key);
    if (!entry) return false;
    entry.error.hidden = false;
    entry.error.textContent = text;
    entry.input.setAttribute('aria-invalid', 'true');
    return true;
  }

  function changes() {
    const out = {};
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const sms = smsNumber.value.trim() || null;
    if (sms !== (current.sms_number || null)) out.sms_number = sms;
    const from = emailFrom.value.trim() || null;
    if (from !== (current.email_from || null)) out.email_from = from;
    if (zone.value !== current.timezone) out.timezone = zone.value;
    const sortedHours = [...hours].sort((a, b) => a.weekday - b.weekday || a.opens.localeCompare(b.opens));
    if (!same(sortedHours, current.hours)) out.hours = sortedHours;
    if (!same(holidays, current.holidays)) out.holidays = holidays;
    for (const [key, input] of texts) if (input.value.trim() !== current[key]) out[key] = input.value.trim();
    if (frontDesk.checked !== current.front_desk_in_client_threads) out.front_desk_in_client_threads = frontDesk.checked;
    const chosen = [...senders].filter(([, box]) => box.checked).map(([role]) => role);
    if (current.client_senders && !same(chosen, current.client_senders)) out.client_senders = chosen;
    if (dob.checked !== current.require_date_of_birth) out.require_date_of_birth = dob.checked;
    if (plain.value !== current.plain_messages) out.plain_messages = plain.value;
    if (guard.value !== current.clinical_guard) out.clinical_guard = guard.value;
    for (const [key, input] of numbers) {
      const n = Number(input.value);
      if (input.value.trim() === '' || !Number.isInteger(n)) out[key] = input.value; // the server says why
      else if (n !== current[key]) out[key] = n;
    }
    return out;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors();
    const changed = changes();
    if (!Object.keys(changed).length) {
      notify('Nothing changed.', { kind: 'info' });
      return;
    }
    busy(save, async () => {
      try {
        const result = await api.put('/practice/client-messaging', changed);
        current = result;
        state.clientMessaging = result;
        setValues(result);
        notify('Client messaging settings saved.', { kind: 'success' });
      } catch (err) {
        if (err.handled) return;
        let first = null;
        for (const item of Array.isArray(err.body && err.body.errors) ? err.body.errors : []) {
          const key = String(item.field || '').split('.').find((part) => errors.has(part));
          if (key && fieldError(key, `This ${item.problem}.`.replace('This must', 'It must')) && !first) first = key;
        }
        if (!first) {
          const lower = String(err.detail || '').toLowerCase();
          const hit = DETAIL_FIELDS.find(([words, key]) => lower.includes(words) && key in changed);
          if (hit && fieldError(hit[1], err.detail)) first = hit[1];
        }
        showProblem(summary, err.detail);
        if (first) {
          const target = errors.get(first).input;
          (target.matches('input, select, textarea') ? target : target.querySelector('input:not(:disabled)'))?.focus();
        }
      }
    }, 'Saving…');
  });

  (async () => {
    try {
      const s = await api.get('/practice/client-messaging');
      if (ctx.destroyed) return;
      // Reading is open to all staff; changing is for owners and admins: the server's answer.
      if (!state.me || (state.me.role !== 'owner' && state.me.role !== 'admin')) await api.get('/devices');
      current = s;
      state.clientMessaging = s;
      setValues(s);
      loading.hidden = true;
      form.hidden = false;
      templatesCard(templatesSlot, ctx);
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The client messaging settings', { forAdmins: true });
    }
  })();
}

// -- templates ---------------------------------------------------------------------------------
function templatesCard(slot, ctx) {
  const list = h('ul', { class: 'plain-list template-admin-list', 'aria-label': 'Templates' });
  const name = h('input', { type: 'text', maxlength: '80', autocomplete: 'off' });
  const text = h('textarea', { rows: '2', maxlength: '320' });
  const problem = problemBox();
  const add = h('button', { type: 'submit', class: 'button secondary' }, h('span', { class: 'btn-label' }, 'Add template'));
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'New template' },
    labelled('Template name', name).wrap,
    labelled('Template text', text, { hint: 'Scheduling words only (they go in plain text). Placeholders: {time}, {date}, {minutes}, {clinician}.' }).wrap,
    problem,
    h('div', { class: 'form-actions' }, add));
  fill(slot, card('Scheduling templates',
    h('p', { class: 'card-lead' }, 'The messages staff may send to a consenting client in plain text. Anything that reads as clinical is refused.'),
    list,
    h('h3', { class: 'sub-title' }, 'New template'),
    form));

  function row(t) {
    const tName = h('input', { type: 'text', maxlength: '80', autocomplete: 'off', value: t.name });
    const tText = h('textarea', { rows: '2', maxlength: '320' });
    tText.value = t.body;
    const rowProblem = problemBox();
    const saveRow = h('button', { type: 'button', class: 'button small secondary' }, h('span', { class: 'btn-label' }, `Save ${t.name}`));
    const remove = h('button', { type: 'button', class: 'button small danger-outline' }, h('span', { class: 'btn-label' }, `Remove ${t.name}`));
    saveRow.addEventListener('click', () => busy(saveRow, async () => {
      showProblem(rowProblem, '');
      const patch = {};
      if (tName.value.trim() !== t.name) patch.name = tName.value.trim();
      if (tText.value.trim() !== t.body) patch.body = tText.value.trim();
      if (!Object.keys(patch).length) {
        notify('Nothing changed.', { kind: 'info' });
        return;
      }
      try {
        await api.patch(`/message-templates/${api.seg(t.id)}`, patch);
        notify('Template saved.', { kind: 'success' });
        load();
      } catch (err) {
        if (!err.handled) showProblem(rowProblem, err.detail);
      }
    }));
    remove.addEventListener('click', async () => {
      const yes = await confirmStep(`Remove “${t.name}”?`, ['Staff will no longer be offered it. Messages already sent stay as they are.'], 'Remove template');
      if (!yes) return;
      try {
        await api.del(`/message-templates/${api.seg(t.id)}`);
        notify('Template removed.', { kind: 'success' });
        load();
      } catch (err) {
        if (!err.handled) showProblem(rowProblem, err.detail);
      }
    });
    return h('li', { class: 'template-admin-row' },
      labelled(`Name of ${t.name}`, tName).wrap,
      labelled(`Text of ${t.name}`, tText).wrap,
      rowProblem,
      h('div', { class: 'form-actions' }, saveRow, remove));
  }

  async function load() {
    try {
      const found = await api.get('/message-templates');
      if (ctx.destroyed) return;
      fill(list, found.map(row));
      if (!found.length) fill(list, h('li', { class: 'row-meta' }, 'No templates. Staff can then only send secure links.'));
    } catch (err) {
      if (!ctx.destroyed) showProblem(problem, err.detail);
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(problem, '');
    busy(add, async () => {
      try {
        await api.post('/message-templates', { name: name.value.trim(), body: text.value.trim() });
        name.value = '';
        text.value = '';
        notify('Template added.', { kind: 'success' });
        load();
      } catch (err) {
        if (!err.handled) showProblem(problem, err.detail);
      }
    }, 'Adding…');
  });
  load();
}

// -- on call -----------------------------------------------------------------------------------
export function onCallPage(body, ctx) {
  let tz = 'UTC';
  const now = h('div', { class: 'callout callout-success', role: 'status' });
  const list = h('ul', { class: 'card-list', 'aria-label': 'On-call shifts' });
  const person = h('select');
  const startDay = h('input', { type: 'date' });
  const startTime = h('input', { type: 'time', value: '17:00' });
  const endDay = h('input', { type: 'date' });
  const endTime = h('input', { type: 'time', value: '09:00' });
  const problem = problemBox();
  const add = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Add shift'));
  const zoneNote = h('p', { class: 'field-hint' });
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'New on-call shift' },
    labelled('Person on call', person).wrap,
    h('div', { class: 'field-pair' }, labelled('Starts on', startDay).wrap, labelled('Start time', startTime).wrap),
    h('div', { class: 'field-pair' }, labelled('Ends on', endDay).wrap, labelled('End time', endTime).wrap),
    zoneNote,
    problem,
    h('div', { class: 'form-actions' }, add));
  const loading = h('p', { class: 'empty-note' }, 'Loading the shifts…');
  fill(body,
    h('p', { class: 'page-lead' }, 'While a shift lasts, crisis alerts from clients also go to the person on call, through quiet hours and “in session”.'),
    loading,
    now,
    card('Next four weeks', list),
    card('Put someone on call', form));
  now.hidden = true;

  function fillPeople() {
    const people = [...state.users.values()].filter((u) => u.is_active !== false && u.role !== 'front_desk')
      .sort((a, b) => a.display_name.localeCompare(b.display_name));
    fill(person, people.map((u) => h('option', { value: u.id }, u.display_name)));
  }

  async function load() {
    try {
      const [settings, shifts, onCall] = await Promise.all([
        api.get('/practice/client-messaging'),
        api.get('/on-call'),
        api.get('/on-call/now'),
      ]);
      if (ctx.destroyed) return;
      if (!state.me || (state.me.role !== 'owner' && state.me.role !== 'admin')) await api.get('/devices');
      tz = settings.timezone;
      state.clientMessaging = settings;
      zoneNote.textContent = `Times are in the practice’s time zone (${tz}).`;
      if (!startDay.value) {
        startDay.value = dayIn(new Date(), tz);
        endDay.value = dayIn(new Date(Date.now() + 86400000), tz);
      }
      loading.hidden = true;
      now.hidden = false;
      fill(now, icon('bell'), h('div', null, h('p', { class: 'callout-title' },
        onCall.length ? `On call now: ${onCall.map((p) => p.display_name).join(', ')}` : 'Nobody is on call now.'),
      onCall.length ? null : h('p', null, 'Crisis alerts go to the client’s assigned clinicians only.')));
      fill(list, shifts.length ? shifts.map(shiftRow) : h('li', { class: 'row-meta' }, 'No shifts planned.'));
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The on-call shifts', { forAdmins: true });
    }
  }

  function shiftRow(s) {
    const who = userName(s.user_id);
    const label = `${who}, ${whenIn(s.starts_at, tz)} to ${whenIn(s.ends_at, tz)}`;
    const remove = h('button', { type: 'button', class: 'button small subtle' }, h('span', { class: 'btn-label' }, `Remove the shift of ${who} from ${whenIn(s.starts_at, tz)}`));
    remove.addEventListener('click', async () => {
      const yes = await confirmStep('Remove this shift?', [label], 'Remove shift');
      if (!yes) return;
      try {
        await api.del(`/on-call/shifts/${api.seg(s.id)}`);
        notify('Shift removed.', { kind: 'success' });
        load();
      } catch (err) {
        showProblem(problem, err.detail);
      }
    });
    const live = new Date(s.starts_at).getTime() <= Date.now() && new Date(s.ends_at).getTime() > Date.now();
    return h('li', { class: 'card shift-row' },
      h('div', null,
        h('p', { class: 'row-title' }, who, live ? h('span', { class: 'tag tag-on' }, 'On call now') : null),
        h('p', { class: 'row-meta' }, `${whenIn(s.starts_at, tz)} to ${whenIn(s.ends_at, tz)}`)),
      remove);
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(problem, '');
    if (!person.value || !startDay.value || !startTime.value || !endDay.value || !endTime.value) {
      showProblem(problem, 'Choose the person and both the start and the end.');
      return;
    }
    busy(add, async () => {
      try {
        await api.post('/on-call', {
          user_id: person.value,
          starts_at: wallToDate(startDay.value, startTime.value, tz).toISOString(),
          ends_at: wallToDate(endDay.value, endTime.value, tz).toISOString(),
        });
        notify(`${userName(person.value)} is on call then.`, { kind: 'success' });
        load();
      } catch (err) {
        if (!err.handled) showProblem(problem, err.detail);
      }
    }, 'Adding…');
  });
  fillPeople();
  load();
}
