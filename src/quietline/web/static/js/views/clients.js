// Clients (#/clients): search by name, the list (assigned clinicians, "Text OK" / "E-mail OK"
// when consent to plain SMS / e-mail is in force, "STOP" when the client opted out; the list
// items carry `consent` like the client's record), "New client"; and a client's
// page (#/clients/<id>): details and their editing, consent per channel (the practice's exact
// warning, how it was given, withdrawal, the history), clinicians, upcoming appointments,
// archiving, "Open thread", and for owners and admins "Export records (right of access)"
// (a signed HTML document or JSON of everything about the client: GET /clients/<id>/export).
//
// Names never go in a URL: the search is POST /client-search. Everything shown stays in the
// page and in memory; nothing goes to storage.

import * as api from '../api.js';
import { busy, fill, formatFull, h, hueClass, icon, initials, notify, openDialog, report, uid } from '../dom.js';
import { isAdmin, on, seesAllClients, state, userName } from '../state.js';
import { whenIn } from '../zone.js';
import { openNewAppointment } from './appointments.js';
import {
  appointmentStatus, card, clinicians, confirmStep, keepFocus, labelled, loadClientMessaging, practiceZone,
  problemBox, radioGroup, showProblem, statusClass, showFailure,
} from './parts.js';

const CHANNELS = [
  { key: 'sms', label: 'Text messages (SMS)', short: 'text messages', ok: 'Text OK', address: 'phone', missing: 'Add the client’s phone number first.' },
  { key: 'email', label: 'E-mail', short: 'e-mail', ok: 'E-mail OK', address: 'email', missing: 'Add the client’s e-mail address first.' },
];
const METHOD_LABELS = {
  verbal: 'verbally', written: 'in writing', secure_page: 'on the secure page', keyword: 'by a text keyword', staff: 'by staff',
};

/** "Text OK" / "STOP" badges of a client (a summary or a full record). */
function badges(client) {
  const out = [];
  const smsConsent = client.consent ? client.consent.sms : client.sms_consent;
  const optedOut = client.sms_opted_out || !!client.sms_opted_out_at;
  if (optedOut) out.push(h('span', { class: 'tag tag-urgent', title: 'The client replied STOP: no text messages go to them.' }, 'STOP'));
  else if (smsConsent) out.push(h('span', { class: 'tag tag-on', title: 'Consent to plain text messages for scheduling is in force.' }, 'Text OK'));
  const emailConsent = client.consent ? client.consent.email : client.email_consent;
  if (emailConsent) out.push(h('span', { class: 'tag tag-on', title: 'Consent to plain e-mail for scheduling is in force.' }, 'E-mail OK'));
  if (client.archived_at) out.push(h('span', { class: 'tag tag-off' }, 'Archived'));
  return out;
}

const clinicianNames = (ids) => (ids || []).map((id) => userName(id)).join(', ');

// -- the list -------------------------------------------------------------------------------
export function mountClients(main) {
  let destroyed = false;
  let request = 0;
  let timer = 0;
  const titleId = uid('clients');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'Clients');
  const newButton = h('button', { type: 'button', class: 'button primary small' }, icon('plus'), h('span', null, 'New client'));
  newButton.addEventListener('click', () => openNewClient());
  const search = h('input', { type: 'search', class: 'search-input', autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'search' });
  const searchField = labelled('Search clients', search, { className: 'search-field' });
  searchField.wrap.insertBefore(h('span', { class: 'search-icon', 'aria-hidden': 'true' }, icon('search')), search);
  const archived = h('input', { type: 'checkbox', id: uid('arch'), class: 'check-input' });
  const list = h('ul', { class: 'client-list', 'aria-label': 'Clients' });
  const empty = h('p', { class: 'empty-note' }, 'Loading clients…');
  const count = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  fill(main,
    h('section', { class: 'page-view clients-view', 'aria-labelledby': titleId },
      h('div', { class: 'page-head row-head' }, title, newButton),
      h('p', { class: 'page-lead' }, seesAllClients()
        ? 'Every client of the practice. Search by name or preferred name.'
        : 'The clients assigned to you. Search by name or preferred name.'),
      h('div', { class: 'client-filters' },
        searchField.wrap,
        h('label', { class: 'inline-check', for: archived.id }, archived, h('span', null, 'Include archived clients'))),
      count,
      list,
      empty));
  document.title = 'Clients · Quietline';

  function row(c) {
    const names = clinicianNames(c.clinician_ids);
    const sub = [];
    if (names) sub.push(names);
    else sub.push('No clinician assigned');
    if (!c.has_phone && !c.has_email) sub.push('no phone or e-mail');
    return h('li', { class: 'client-item' },
      h('a', { class: 'client-row', href: `#/clients/${c.id}` },
        h('span', { class: ['avatar', 'avatar-client', hueClass(c.id)], 'aria-hidden': 'true' }, initials(c.display_name)),
        h('span', { class: 'client-main' },
          h('span', { class: 'client-name' }, c.display_name,
            c.preferred_name && c.preferred_name !== c.name ? h('span', { class: 'client-legal' }, ` (${c.name})`) : null),
          h('span', { class: 'client-sub' }, sub.join(' · '))),
        h('span', { class: 'client-badges' }, badges(c))));
  }

  let shown = [];
  function draw() {
    keepFocus(list, () => list.replaceChildren(...shown.map(row)));
  }

  async function load() {
    const n = ++request;
    const query = search.value.trim();
    try {
      const found = query
        ? await api.post('/client-search', { query, include_archived: archived.checked })
        : await api.get(`/clients?include_archived=${archived.checked ? 'true' : 'false'}&limit=500`);
      if (destroyed || n !== request) return;
      shown = found;
      draw();
      list.hidden = !found.length;
      empty.hidden = !!found.length;
      if (!found.length) {
        empty.textContent = query ? 'No client has that name.' : 'No clients yet. Choose “New client” to add one.';
      }
      count.textContent = query ? `${found.length} ${found.length === 1 ? 'client' : 'clients'} found` : '';
    } catch (err) {
      if (destroyed || n !== request || err.handled) return;
      empty.hidden = false;
      empty.textContent = err.status === 422 ? err.detail : `The clients could not be loaded. ${err.detail || ''}`.trim();
      list.hidden = true;
    }
  }
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && search.value) {
      search.value = '';
      load();
    }
  });
  archived.addEventListener('change', load);
  // Names of clinicians come from the staff directory: redraw (no new request) when it changes.
  const offs = [on('users', () => draw())];
  load();

  return {
    focus() { title.focus({ preventScroll: true }); },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      offs.forEach((off) => off());
      document.title = 'Quietline';
    },
  };
}

// -- "New client" -----------------------------------------------------------------------------
/** The form fields of a client's details (new and edit). */
function detailFields(values = {}) {
  const name = h('input', { type: 'text', autocomplete: 'off', maxlength: '200', required: true, value: values.name || '' });
  const preferred = h('input', { type: 'text', autocomplete: 'off', maxlength: '100', value: values.preferred_name || '' });
  const phone = h('input', { type: 'tel', autocomplete: 'off', inputmode: 'tel', maxlength: '40', value: values.phone || '' });
  const email = h('input', { type: 'email', autocomplete: 'off', maxlength: '320', value: values.email || '' });
  const born = h('input', { type: 'date', value: values.date_of_birth || '' });
  const notes = h('textarea', { rows: '3', maxlength: '4000' });
  notes.value = values.notes || '';
  const fields = {
    name: labelled('Name', name),
    preferred_name: labelled('Preferred name', preferred, { hint: 'What the client likes to be called. Shown in lists and on their thread.' }),
    phone: labelled('Phone', phone, { hint: 'A mobile number for texts, like (415) 555-0100 or +44 20 7946 0958.' }),
    email: labelled('Email', email),
    date_of_birth: labelled('Date of birth', born, { hint: 'Optional. The secure page can ask for it as a second check.' }),
    notes: labelled('Notes for staff', notes, { hint: 'Only staff see these; never the client.' }),
  };
  return fields;
}

function fieldValue(input) {
  const v = input.value.trim();
  return v || null;
}

export function openNewClient() {
  openDialog('New client', (body, close) => {
    const fields = detailFields();
    const me = state.me;
    const mayChoose = seesAllClients();
    const people = clinicians();
    const boxes = people.map((u) => {
      const box = h('input', { type: 'checkbox', id: uid('cl'), class: 'check-input', value: u.id });
      // The creator is assigned (unless front desk); clinicians always see the clients they add.
      box.checked = !!me && u.id === me.id && me.role !== 'front_desk';
      if (!mayChoose && me && u.id === me.id) box.disabled = true;
      return h('div', { class: 'check-line' }, box, h('label', { for: box.id }, me && u.id === me.id ? `${u.display_name} (you)` : u.display_name));
    });
    const problem = problemBox();
    const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Add client'));
    const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
    cancel.addEventListener('click', close);
    const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'New client' },
      Object.values(fields).map((f) => f.wrap),
      people.length ? h('fieldset', { class: 'radio-group' },
        h('legend', { class: 'field-label' }, 'Assigned clinicians'),
        h('p', { class: 'field-hint' }, 'They (and, by your practice’s setting, the front desk) are in the client’s thread.'),
        boxes) : null,
      problem,
      h('div', { class: 'form-actions' }, save, cancel));
    body.appendChild(form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      showProblem(problem, '');
      const name = fieldValue(fields.name.input);
      if (!name) {
        showProblem(problem, 'Enter the client’s name.');
        fields.name.input.setAttribute('aria-invalid', 'true');
        fields.name.input.focus();
        return;
      }
      const payload = { name };
      for (const key of ['preferred_name', 'phone', 'email', 'date_of_birth', 'notes']) {
        const v = fieldValue(fields[key].input);
        if (v !== null) payload[key] = v;
      }
      payload.clinician_ids = boxes.map((b) => b.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
      busy(save, async () => {
        try {
          const created = await api.post('/clients', payload);
          close();
          notify(`${created.display_name} was added.`, { kind: 'success' });
          location.hash = `#/clients/${created.id}`;
        } catch (err) {
          if (err.handled) return;
          showProblem(problem, err.detail);
        }
      }, 'Adding…');
    });
    setTimeout(() => fields.name.input.focus(), 0);
  }, { className: 'dialog-form' });
}

// -- one client -------------------------------------------------------------------------------
export function mountClient(main, clientId) {
  const ctx = { destroyed: false };
  let client = null;
  let consents = null;
  let editing = false;
  const titleId = uid('client');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'Loading…');
  const badgeSlot = h('span', { class: 'client-badges' });
  const actions = h('div', { class: 'form-actions client-actions' });
  const details = h('div');
  const consentBody = h('div');
  const clinicianBody = h('div');
  const appointmentBody = h('div');
  const archiveBody = h('div');
  const body = h('div', { class: 'client-body', hidden: true },
    card('Details', details),
    card('Consent to plain messages', consentBody),
    card('Clinicians', clinicianBody),
    card('Upcoming appointments', appointmentBody),
    card('Archive', archiveBody));
  const section = h('section', { class: 'page-view client-view', 'aria-labelledby': titleId },
    h('a', { href: '#/clients', class: 'back-link page-back' }, icon('back'), h('span', null, 'Clients')),
    h('div', { class: 'page-head row-head' }, h('div', { class: 'client-title' }, title, badgeSlot)),
    actions,
    body);
  fill(main, section);

  // -- rendering ------------------------------------------------------------------------
  function renderHead() {
    title.textContent = client.display_name;
    document.title = `${client.display_name} · Quietline`;
    badgeSlot.replaceChildren(...badges(client));
    const open = client.conversation_id
      ? h('a', { href: `#/c/${client.conversation_id}`, class: 'button primary small' }, icon('chat'), h('span', null, 'Open thread'))
      : null;
    const book = h('button', { type: 'button', class: 'button subtle small' }, icon('clock'), h('span', null, 'New appointment'));
    book.addEventListener('click', () => openNewAppointment({ clientId: client.id, onBooked: loadAppointments }));
    let exportButton = null;
    if (isAdmin()) {
      exportButton = h('button', { type: 'button', class: 'button subtle small' }, icon('download'), h('span', null, 'Export records (right of access)'));
      exportButton.addEventListener('click', () => openExport());
    }
    fill(actions, open, client.archived_at ? null : book, exportButton);
  }

  // Right of access: a download link per format. The links are plain GETs with the session
  // cookie (like the audit export); the server records each export in the audit log.
  function openExport() {
    openDialog('Export records (right of access)', (dlg, close) => {
      const notes = h('input', { type: 'checkbox', id: uid('notes'), class: 'check-input' });
      const notesHint = uid('notes-hint');
      notes.setAttribute('aria-describedby', notesHint);
      const htmlLink = h('a', { class: 'button primary', download: '' }, icon('download'), h('span', null, 'Document (HTML)'));
      const jsonLink = h('a', { class: 'button secondary', download: '' }, icon('download'), h('span', null, 'Data (JSON)'));
      const setLinks = () => {
        const url = (format) => `/api/v1/clients/${api.seg(clientId)}/export?format=${format}&include_staff_notes=${notes.checked ? 'true' : 'false'}`;
        htmlLink.setAttribute('href', url('html'));
        jsonLink.setAttribute('href', url('json'));
      };
      notes.addEventListener('change', setLinks);
      setLinks();
      for (const link of [htmlLink, jsonLink]) {
        link.addEventListener('click', () => notify('The export is downloading. It is recorded in the audit log.', { kind: 'success' }));
      }
      const done = h('button', { type: 'button', class: 'button subtle' }, 'Close');
      done.addEventListener('click', close);
      dlg.append(
        h('p', { class: 'dialog-lead' }, `Everything Quietline holds about ${client.display_name}, for a request to see their own records: details, consent history, every message of their thread, and appointments. Expired and recalled messages are listed without their content.`),
        h('div', { class: 'check-line' }, notes, h('label', { for: notes.id }, 'Include staff notes')),
        h('p', { id: notesHint, class: 'field-hint' }, 'The notes for staff and the staff-only notes in the thread. They are left out unless you decide, for this request, to provide them; the document then says how many were left out.'),
        h('p', { class: 'card-note' }, 'The document is signed: the practice can later check that a copy is unchanged. The file holds the client’s health information, so hand it over securely.'),
        h('div', { class: 'form-actions' }, htmlLink, jsonLink, done));
      setTimeout(() => notes.focus(), 0);
    }, { className: 'dialog-form' });
  }

  function renderDetails() {
    if (editing) return;
    const rows = [
      ['Name', client.name],
      ['Preferred name', client.preferred_name || '—'],
      ['Phone', client.phone || '—'],
      ['Email', client.email || '—'],
      ['Date of birth', client.date_of_birth || '—'],
      ['Notes for staff', client.notes || '—'],
    ];
    const edit = h('button', { type: 'button', class: 'button subtle small' }, h('span', null, 'Edit details'));
    edit.addEventListener('click', () => startEdit());
    fill(details,
      h('dl', { class: 'facts client-facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', { class: k === 'Notes for staff' ? 'pre-line' : null }, v)])),
      client.sms_opted_out_at
        ? h('p', { class: 'card-note' }, `The client replied STOP on ${formatFull(client.sms_opted_out_at)}: no text messages go to them until they reply START.`)
        : null,
      h('div', { class: 'form-actions' }, edit));
  }

  function startEdit() {
    editing = true;
    const fields = detailFields(client);
    const problem = problemBox();
    const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Save details'));
    const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
    cancel.addEventListener('click', () => {
      editing = false;
      renderDetails();
    });
    const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Client details' },
      Object.values(fields).map((f) => f.wrap), problem, h('div', { class: 'form-actions' }, save, cancel));
    fill(details, form);
    fields.name.input.focus();
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      showProblem(problem, '');
      const changes = {};
      for (const [key, f] of Object.entries(fields)) {
        const v = fieldValue(f.input);
        if (v !== (client[key] || null)) changes[key] = v;
      }
      if (!Object.keys(changes).length) {
        editing = false;
        renderDetails();
        return;
      }
      if ('name' in changes && changes.name === null) {
        showProblem(problem, 'A client needs a name.');
        fields.name.input.focus();
        return;
      }
      busy(save, async () => {
        try {
          client = await api.patch(`/clients/${api.seg(clientId)}`, changes);
          editing = false;
          renderAll();
          notify('Details saved.', { kind: 'success' });
        } catch (err) {
          if (!err.handled) showProblem(problem, err.detail);
        }
      }, 'Saving…');
    });
  }

  function renderConsent() {
    if (!consents) {
      fill(consentBody, h('p', { class: 'empty-note' }, 'Loading consent…'));
      return;
    }
    const rows = CHANNELS.map((ch) => {
      const inForce = consents.in_force ? consents.in_force[ch.key] : null;
      const hasAddress = !!client[ch.address];
      let text;
      if (inForce) {
        const who = inForce.recorded_by ? userName(inForce.recorded_by) : 'the client';
        text = `Agreed to plain ${ch.short} for scheduling ${METHOD_LABELS[inForce.method] || ''}; recorded by ${who}, ${formatFull(inForce.recorded_at)}.`;
      } else {
        text = `Not agreed: messages go as a secure link${ch.key === 'sms' ? ' by text' : ' by e-mail'}, never the text itself.`;
      }
      const stop = ch.key === 'sms' && client.sms_opted_out_at
        ? h('p', { class: 'row-meta' }, 'The client replied STOP: no text messages at all until they reply START.') : null;
      let button;
      if (inForce) {
        button = h('button', { type: 'button', class: 'button small danger-outline' }, h('span', null, `Withdraw consent to ${ch.short}`));
        button.addEventListener('click', () => withdraw(ch));
      } else {
        button = h('button', { type: 'button', class: 'button small secondary', disabled: !hasAddress }, h('span', null, `Record consent to ${ch.short}`));
        button.addEventListener('click', () => recordConsent(ch));
      }
      return h('li', { class: 'consent-row' },
        h('div', { class: 'consent-main' },
          h('p', { class: 'row-title' }, ch.label, ' ', inForce ? h('span', { class: 'tag tag-on' }, ch.ok) : h('span', { class: 'tag' }, 'Secure link only')),
          h('p', { class: 'row-meta' }, text),
          stop,
          !inForce && !hasAddress ? h('p', { class: 'row-meta' }, ch.missing) : null),
        h('div', { class: 'consent-actions' }, button));
    });
    const history = consents.history || [];
    fill(consentBody,
      h('p', { class: 'card-lead' }, 'Plain text messages and e-mail are not encrypted. With the client’s consent, only scheduling messages (approved templates, reminders, confirmations) go that way; everything else goes as a secure link.'),
      h('ul', { class: 'plain-list consent-list' }, rows),
      h('h3', { class: 'sub-title', id: `${titleId}-history` }, 'Consent history'),
      history.length
        ? h('ul', { class: 'plain-list consent-history', 'aria-labelledby': `${titleId}-history` }, history.map((r) => {
          const ch = CHANNELS.find((c) => c.key === r.channel);
          const who = r.recorded_by ? userName(r.recorded_by) : 'the client';
          return h('li', { class: 'history-row' },
            h('p', { class: 'row-title' }, `${ch ? ch.label : r.channel}: ${r.granted ? 'agreed' : 'withdrawn'} ${METHOD_LABELS[r.method] || r.method}`),
            h('p', { class: 'row-meta' }, `Recorded by ${who}, ${formatFull(r.recorded_at)}`),
            r.warning_text ? h('details', { class: 'warning-shown' },
              h('summary', null, 'Warning shown'),
              h('p', { class: 'pre-line' }, r.warning_text)) : null);
        }))
        : h('p', { class: 'row-meta' }, 'No answer recorded yet.'));
  }

  function recordConsent(ch) {
    openDialog(`Consent to ${ch.short}`, (dlg, close) => {
      const warning = consents.warning_text;
      const how = radioGroup('How did the client agree?', [
        ['verbal', 'Verbally (in person or on the phone)'],
        ['written', 'In writing'],
      ]);
      const problem = problemBox();
      const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Record consent'));
      const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
      cancel.addEventListener('click', close);
      const warningId = uid('warn');
      const form = h('form', { class: 'form', novalidate: true, 'aria-describedby': warningId },
        h('p', { class: 'dialog-lead' }, 'Read this to the client, or show it to them, before they answer:'),
        h('blockquote', { id: warningId, class: 'consent-warning' }, warning),
        how.wrap,
        problem,
        h('div', { class: 'form-actions' }, save, cancel));
      dlg.appendChild(form);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const method = how.value();
        if (!method) {
          showProblem(problem, 'Choose how the client agreed.');
          how.first().focus();
          return;
        }
        busy(save, async () => {
          try {
            await api.post(`/clients/${api.seg(clientId)}/consents`, { channel: ch.key, granted: true, method, warning_shown: warning });
            close();
            notify(`Consent to ${ch.short} recorded.`, { kind: 'success' });
            await reload();
          } catch (err) {
            if (err.handled) return;
            showProblem(problem, err.detail);
            if (err.status === 409) loadConsents().catch(() => {});
          }
        }, 'Recording…');
      });
      setTimeout(() => how.first().focus(), 0);
    }, { className: 'dialog-form' });
  }

  async function withdraw(ch) {
    const how = radioGroup('How did the client ask?', [
      ['verbal', 'Verbally (in person or on the phone)'],
      ['written', 'In writing'],
      ['staff', 'Staff decision'],
    ], { value: 'verbal' });
    const yes = await confirmStep(`Withdraw consent to ${ch.short}?`,
      [`From now on, ${client.display_name} gets ${ch.short} from the practice only as a secure link, never the text itself.`],
      'Withdraw consent', { extra: how.wrap });
    if (!yes) return;
    try {
      await api.post(`/clients/${api.seg(clientId)}/consents`, { channel: ch.key, granted: false, method: how.value() || 'staff' });
      notify(`Consent to ${ch.short} withdrawn.`, { kind: 'success' });
      await reload();
    } catch (err) {
      report(err);
    }
  }

  function renderClinicians() {
    const ids = client.clinician_ids || [];
    const manage = seesAllClients();
    const list = h('ul', { class: 'plain-list' }, ids.map((id) => {
      const remove = manage ? h('button', { type: 'button', class: 'button small subtle' }, `Remove ${userName(id)}`) : null;
      remove?.addEventListener('click', () => busy(remove, async () => {
        client = await api.del(`/clients/${api.seg(clientId)}/clinicians/${api.seg(id)}`);
        renderAll();
        notify(`${userName(id)} is no longer assigned.`, { kind: 'success' });
      }));
      return h('li', { class: 'list-row clinician-row' },
        h('span', { class: ['avatar', 'avatar-small', hueClass(id)], 'aria-hidden': 'true' }, initials(userName(id))),
        h('span', { class: 'row-title' }, userName(id)),
        remove);
    }));
    const parts = [ids.length ? list : h('p', { class: 'row-meta' }, 'No clinician is assigned. Until one is, the front desk or the owners and admins get this client’s messages.')];
    if (manage) {
      const free = clinicians().filter((u) => !ids.includes(u.id));
      if (free.length) {
        const select = h('select', null, free.map((u) => h('option', { value: u.id }, u.display_name)));
        const assign = h('button', { type: 'button', class: 'button small secondary' }, h('span', { class: 'btn-label' }, 'Assign'));
        assign.addEventListener('click', () => busy(assign, async () => {
          const chosen = select.value;
          client = await api.post(`/clients/${api.seg(clientId)}/clinicians`, { user_id: chosen });
          renderAll();
          notify(`${userName(chosen)} is assigned and joins the client’s thread.`, { kind: 'success' });
        }));
        parts.push(h('div', { class: 'inline-form' }, labelled('Add a clinician', select).wrap, assign));
      }
    } else {
      parts.push(h('p', { class: 'card-note' }, 'Owners, admins and the front desk change who is assigned.'));
    }
    fill(clinicianBody, parts);
  }

  let appointments = null;
  function renderAppointments() {
    if (!appointments) {
      fill(appointmentBody, h('p', { class: 'empty-note' }, 'Loading appointments…'));
      return;
    }
    const zone = practiceZone();
    const shown = appointments.filter((a) => a.status !== 'cancelled');
    fill(appointmentBody,
      shown.length
        ? h('ul', { class: 'plain-list' }, shown.map((a) => h('li', { class: 'appt-brief' },
          h('p', { class: 'row-title' }, `${whenIn(a.starts_at, zone)} · ${a.length_minutes} min`),
          h('p', { class: 'row-meta' }, [userName(a.clinician_id), a.room ? `Room: ${a.room}` : null].filter(Boolean).join(' · '), ' ',
            h('span', { class: ['tag', statusClass(a)] }, appointmentStatus(a))))))
        : h('p', { class: 'row-meta' }, 'No upcoming appointments.'),
      h('p', { class: 'card-note' }, h('a', { href: '#/appointments' }, 'All appointments')));
  }

  function renderArchive() {
    if (client.archived_at) {
      const restore = h('button', { type: 'button', class: 'button small secondary' }, h('span', { class: 'btn-label' }, 'Restore client'));
      restore.addEventListener('click', () => busy(restore, async () => {
        client = await api.post(`/clients/${api.seg(clientId)}/unarchive`);
        renderAll();
        notify(`${client.display_name} is back on the client list.`, { kind: 'success' });
      }));
      fill(archiveBody, h('p', { class: 'card-lead' }, `Archived ${formatFull(client.archived_at)}. Messages to the client are off; staff notes still work.`), restore);
      return;
    }
    const archive = h('button', { type: 'button', class: 'button small danger-outline' }, h('span', { class: 'btn-label' }, 'Archive client'));
    archive.addEventListener('click', async () => {
      const yes = await confirmStep(`Archive ${client.display_name}?`,
        ['They leave the client list and get no more messages. Their thread and its history stay, and you can restore them.'],
        'Archive client');
      if (!yes) return;
      await busy(archive, async () => {
        client = await api.post(`/clients/${api.seg(clientId)}/archive`);
        renderAll();
        notify(`${client.display_name} was archived.`, { kind: 'success' });
      });
    });
    fill(archiveBody, h('p', { class: 'card-lead' }, 'When the work with a client has ended.'), archive);
  }

  function renderAll() {
    if (ctx.destroyed || !client) return;
    body.hidden = false;
    keepFocus(section, () => {
      renderHead();
      renderDetails();
      renderConsent();
      renderClinicians();
      renderAppointments();
      renderArchive();
    });
  }

  // -- loading ----------------------------------------------------------------------------
  async function loadConsents() {
    const found = await api.get(`/clients/${api.seg(clientId)}/consents`);
    if (ctx.destroyed) return;
    consents = found;
    if (client) renderConsent();
  }

  async function loadAppointments() {
    const now = new Date();
    const to = new Date(now.getTime() + 60 * 86400000);
    const query = new URLSearchParams({ client_id: clientId, from: now.toISOString(), to: to.toISOString() });
    try {
      const found = await api.get(`/appointments?${query}`);
      if (ctx.destroyed) return;
      appointments = found;
    } catch (err) {
      if (ctx.destroyed || err.handled) return;
      appointments = [];
    }
    if (client) renderAppointments();
  }

  async function reload() {
    const [c] = await Promise.all([
      api.get(`/clients/${api.seg(clientId)}`),
      loadConsents(),
    ]);
    if (ctx.destroyed) return;
    client = c;
    renderAll();
  }

  (async () => {
    try {
      await Promise.all([reload(), loadClientMessaging().catch(() => null)]);
      loadAppointments();
    } catch (err) {
      if (ctx.destroyed) return;
      if (err.status === 404 || err.status === 422) {
        title.textContent = 'This client is not available';
        fill(actions);
        body.hidden = false;
        fill(body, h('p', { class: 'card-lead' }, 'The client may not exist, or is not one of yours.'),
          h('a', { href: '#/clients', class: 'button secondary' }, 'Back to clients'));
        return;
      }
      showFailure(body, err, 'The client');
      body.hidden = false;
    }
  })();

  const offs = [
    on('users', () => { if (client && !editing) keepFocus(body, () => renderClinicians()); }),
    on('appointments', (f) => { if (!f || !f.client_id || f.client_id === clientId) loadAppointments(); }),
  ];
  return {
    focus() { title.focus({ preventScroll: true }); },
    destroy() {
      ctx.destroyed = true;
      offs.forEach((off) => off());
      document.title = 'Quietline';
    },
  };
}
