// Practice administration (#/admin/<section>), for owners and admins: staff (directory, roles,
// invitations, offboarding), every device in the practice, policies, the audit log (filters by
// person, conversation, client, kind and dates; export, chain check, the access report by
// conversation, client or person with its CSV/JSON files), emergency access, legal holds (on a
// conversation or a client) and compliance; client messaging and on-call shifts are in
// admin-client.js.
//
// The server decides who may do what: anyone else who opens these pages by hand sees the
// server's 403 problem as a sentence. Invitation links are shown once and kept nowhere but in
// the page until "Done". Nothing here goes to storage.

import * as api from '../api.js';
import {
  busy, field, fill, formatFull, formatRelative, formatTime, h, icon, notify, openDialog, report, uid,
} from '../dom.js';
import { emit, on, state } from '../state.js';
import { roleLabel } from './list.js';
import { confirmStep } from './parts.js';

export const ADMIN_SECTIONS = [
  { key: 'staff', label: 'Staff', title: 'Staff' },
  { key: 'devices', label: 'Devices', title: 'Devices in the practice' },
  { key: 'policies', label: 'Policies', title: 'Policies' },
  { key: 'audit', label: 'Audit', title: 'Audit log' },
  { key: 'emergency', label: 'Emergency access', title: 'Emergency access' },
  { key: 'holds', label: 'Legal holds', title: 'Legal holds' },
  { key: 'compliance', label: 'Compliance', title: 'Compliance' },
  { key: 'client-messaging', label: 'Client messaging', title: 'Client messaging' },
  { key: 'on-call', label: 'On call', title: 'On call' },
  { key: 'supervision', label: 'Supervision', title: 'Supervision' },
];

const ROLES = ['owner', 'admin', 'supervisor', 'clinician', 'front_desk'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function mountAdmin(main, section) {
  const ctx = { offs: [], destroyed: false };
  const def = ADMIN_SECTIONS.find((x) => x.key === section) || ADMIN_SECTIONS[0];
  const titleId = uid('admin');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, def.title);
  // Owners and admins see every section; anyone else only emergency access (for whoever is
  // on call), the one section they may use.
  const admin = !!state.me && ['owner', 'admin'].includes(state.me.role);
  const sections = admin ? ADMIN_SECTIONS : ADMIN_SECTIONS.filter((x) => x.key === 'emergency');
  const tabs = h('nav', { class: 'admin-nav', 'aria-label': 'Administration' },
    h('ul', { class: 'admin-tabs' }, sections.map((x) => h('li', null,
      h('a', { href: `#/admin/${x.key}`, class: 'admin-tab', 'aria-current': x.key === def.key ? 'page' : null }, x.label)))));
  const body = h('div', { class: 'admin-body' });
  fill(main,
    h('section', { class: 'page-view admin-view', 'aria-labelledby': titleId },
      tabs,
      h('div', { class: 'page-head' }, title),
      body));
  document.title = `${def.title} · Quietline`;
  const build = {
    staff: staffPage, devices: devicesPage, policies: policiesPage, audit: auditPage,
    emergency: emergencyPage, holds: holdsPage, compliance: compliancePage,
    // Loaded when first opened (start-up loads no more than it needs).
    'client-messaging': (b, c) => import('./admin-client.js').then((m) => m.clientMessagingPage(b, c)),
    'on-call': (b, c) => import('./admin-client.js').then((m) => m.onCallPage(b, c)),
    supervision: (b, c) => import('./supervision.js').then((m) => m.supervisionAdminPage(b, c)),
  }[def.key];
  Promise.resolve(build(body, ctx)).catch((err) => {
    if (!ctx.destroyed) showFailure(body, err, def.title);
  });
  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    destroy() {
      ctx.destroyed = true;
      ctx.offs.forEach((off) => off());
      document.title = 'Quietline';
    },
  };
}

// -- shared pieces ---------------------------------------------------------------------------
function card(titleText, ...children) {
  const id = uid('card');
  return h('section', { class: 'card settings-card', 'aria-labelledby': id },
    h('h2', { id, class: 'card-title' }, titleText),
    children);
}

/** The page's body when the server refused (403: not an owner or admin) or failed. */
function showFailure(body, err, what) {
  if (err && err.handled) return;
  if (err && err.status === 403) {
    fill(body, h('div', { class: 'callout callout-problem', role: 'alert' },
      icon('shield'),
      h('div', null,
        h('p', { class: 'callout-title' }, err.detail),
        h('p', null, 'These pages are for the practice’s owners and admins.'))));
    return;
  }
  fill(body, h('div', { class: 'callout callout-problem', role: 'alert' },
    icon('alert'),
    h('div', null, h('p', { class: 'callout-title' }, `${what} could not be loaded.`), h('p', null, err ? err.detail || err.message : ''))));
}

function peopleMap(users) {
  const map = new Map();
  for (const u of users || []) map.set(u.id, u);
  for (const [id, u] of state.users) if (!map.has(id)) map.set(id, u);
  return map;
}

function nameIn(map, id) {
  if (!id) return 'Nobody';
  const u = map.get(id);
  return u ? u.display_name : 'Former colleague';
}

function conversationLabel(id) {
  const c = state.conversations.get(id);
  if (c && c.kind !== 'direct' && c.title) return `${c.title} (${String(id).slice(0, 8)})`;
  return `Conversation ${String(id).slice(0, 8)}`;
}

function lastUsed(value) {
  const rel = formatRelative(value);
  if (rel === 'Just now' || rel === 'Yesterday') return `Last used ${rel.toLowerCase()}`;
  return `Last used ${rel}`;
}

function roleSelect(current, { allowOwner }) {
  const select = h('select', null, ROLES
    .filter((r) => allowOwner || r !== 'owner' || r === current)
    .map((r) => h('option', { value: r, selected: r === current }, roleLabel(r))));
  return select;
}

function problemBox() {
  return h('div', { class: 'form-problem', role: 'alert', hidden: true });
}

function showProblem(box, text) {
  box.hidden = !text;
  box.textContent = text || '';
}

/** A local date (yyyy-mm-dd from <input type=date>) as an ISO instant at its start. */
function dayStart(value, plusDays = 0) {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

/**
 * A client picker for the audit, access-report and legal-hold forms: type part of a name,
 * then choose among the matches (POST /client-search, so a name never goes in a URL; archived
 * clients included). Returns {wrap, input, chosen() -> {id, name} | null, typed(), reset()}.
 * The name is for this page only: forms send the client's id.
 */
function clientPicker(label, hint) {
  let chosen = null;
  let timer = 0;
  let request = 0;
  const input = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: '100' });
  const f = field(label, input, { hint });
  const status = h('p', { class: 'field-hint', role: 'status' });
  const results = h('ul', { class: 'plain-list client-pick-list', 'aria-label': `Matches for ${label.toLowerCase()}`, hidden: true });
  f.wrap.append(status, results);

  function choose(c) {
    chosen = { id: c.id, name: c.display_name };
    input.value = c.display_name;
    results.hidden = true;
    results.replaceChildren();
    status.textContent = `Chosen: ${c.display_name}.`;
    input.focus();
  }
  async function search(query) {
    const n = ++request;
    try {
      const found = await api.post('/client-search', { query, include_archived: true, limit: 10 });
      if (n !== request) return;
      results.replaceChildren(...found.map((c) => {
        const extra = [c.preferred_name && c.preferred_name !== c.name ? c.name : null, c.archived_at ? 'archived' : null]
          .filter(Boolean).join(', ');
        const pick = h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Choose ${c.display_name}` },
          extra ? `${c.display_name} (${extra})` : c.display_name);
        pick.addEventListener('click', () => choose(c));
        return h('li', null, pick);
      }));
      results.hidden = !found.length;
      status.textContent = found.length
        ? `${found.length} ${found.length === 1 ? 'client matches' : 'clients match'}: choose one.`
        : 'No client has that name.';
    } catch (err) {
      if (n === request && !err.handled) status.textContent = err.detail || 'The search failed.';
    }
  }
  input.addEventListener('input', () => {
    chosen = null;
    clearTimeout(timer);
    const query = input.value.trim();
    if (!query) {
      request += 1;
      results.hidden = true;
      results.replaceChildren();
      status.textContent = '';
      return;
    }
    timer = setTimeout(() => search(query), 250);
  });
  return {
    wrap: f.wrap,
    input,
    chosen: () => chosen,
    typed: () => !!input.value.trim(),
    reset() {
      chosen = null;
      request += 1;
      clearTimeout(timer);
      input.value = '';
      results.hidden = true;
      results.replaceChildren();
      status.textContent = '';
    },
  };
}

/** A picker that has text but no chosen client: say so and keep the form from going. */
function pickerUnchosen(picker, box) {
  if (!picker.typed() || picker.chosen()) return false;
  showProblem(box, 'Choose the client from the matches under the box, or empty it.');
  picker.input.focus();
  return true;
}

// -- staff -------------------------------------------------------------------------------------
function staffPage(body, ctx) {
  let users = [];
  let invites = [];
  let records = [];
  const me = state.me || {};
  const isOwner = me.role === 'owner';

  const dirNote = h('p', { class: 'empty-note' }, 'Loading the staff directory…');
  const dirList = h('ul', { class: 'card-list staff-list' });
  const pendingList = h('ul', { class: 'plain-list' });
  const pendingNote = h('p', { class: 'card-note' }, 'No invitations are waiting.');
  const recordsList = h('ul', { class: 'plain-list' });
  const recordsNote = h('p', { class: 'card-note' }, 'Nobody has been offboarded yet.');

  // Invite.
  const email = h('input', { type: 'email', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '320' });
  const name = h('input', { type: 'text', autocomplete: 'off', maxlength: '200' });
  const role = roleSelect('clinician', { allowOwner: isOwner });
  const create = h('button', { type: 'submit', class: 'button primary' }, icon('plus'), h('span', { class: 'btn-label' }, 'Create invitation'));
  const inviteProblem = problemBox();
  const linkSlot = h('div', { class: 'link-slot' });
  const inviteForm = h('form', { class: 'form form-inline-2', novalidate: true },
    field('Email', email).wrap,
    field('Name', name).wrap,
    field('Role', role).wrap,
    inviteProblem,
    h('div', { class: 'form-actions' }, create));
  inviteForm.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(inviteProblem, '');
    if (!email.value.trim() || !name.value.trim()) {
      showProblem(inviteProblem, 'Enter the email and name of the person you invite.');
      (!email.value.trim() ? email : name).focus();
      return;
    }
    busy(create, async () => {
      try {
        const created = await api.post('/invites', { email: email.value.trim(), display_name: name.value.trim(), role: role.value });
        email.value = '';
        name.value = '';
        showLink(created);
        await load();
      } catch (err) {
        if (err.handled) return;
        showProblem(inviteProblem, err.detail);
      }
    }, 'Creating…');
  });

  /** The link, once: in this page only, until "Done" (or leaving the page). */
  function showLink(created) {
    const input = h('input', { type: 'text', readonly: true, value: created.link, class: 'mono', spellcheck: 'false', autocomplete: 'off' });
    const copy = h('button', { type: 'button', class: 'button secondary' }, 'Copy link');
    const done = h('button', { type: 'button', class: 'button subtle' }, 'Done');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        notify('Link copied. Pass it on privately.', { kind: 'success', timeout: 3000 });
      } catch {
        input.select();
        notify('Copying is not allowed here. The link is selected: copy it yourself.');
      }
    });
    done.addEventListener('click', () => {
      input.value = '';
      linkSlot.replaceChildren();
      email.focus();
    });
    const headId = uid('link');
    fill(linkSlot, h('div', { class: 'callout callout-success', role: 'status' },
      icon('check'),
      h('div', null,
        h('p', { id: headId, class: 'callout-title', tabindex: '-1' }, `Invitation for ${created.display_name} created`),
        h('p', null, `Copy the link now and pass it on privately. It is shown only this once, works once, and expires ${formatFull(created.expires_at)}.`),
        field('Invitation link', input).wrap,
        h('div', { class: 'form-actions' }, copy, done))));
    linkSlot.querySelector(`#${headId}`).focus();
  }

  const linkCard = card('Invite someone',
    h('p', { class: 'card-lead' }, 'They get a link to choose a password and join with the role you pick.'),
    inviteForm, linkSlot);

  fill(body,
    h('p', { class: 'page-lead' }, 'Everyone in the practice: change roles, deactivate or reactivate accounts, invite people, and offboard someone who leaves.'),
    linkCard,
    card('Directory', dirNote, dirList),
    card('Pending invitations', pendingNote, pendingList),
    card('Offboarding records', recordsNote, recordsList));

  function renderDirectory() {
    const people = peopleMap(users);
    const sorted = [...users].sort((a, b) => (a.is_active === b.is_active ? a.display_name.localeCompare(b.display_name) : a.is_active ? -1 : 1));
    dirNote.hidden = sorted.length > 0;
    dirNote.textContent = 'Nobody is in the directory.';
    dirList.replaceChildren(...sorted.map((u) => {
      const self = u.id === me.id;
      const until = u.in_session_until && new Date(u.in_session_until) > new Date() ? u.in_session_until : null;
      const tags = h('p', { class: 'staff-tags' },
        h('span', { class: 'tag' }, roleLabel(u.role)),
        u.is_active
          ? h('span', { class: 'tag tag-on' }, icon('check'), 'Active')
          : h('span', { class: 'tag tag-off' }, icon('close'), 'Deactivated'),
        u.has_second_factor
          ? h('span', { class: 'tag tag-on' }, icon('shield'), 'Two-step sign-in on')
          : h('span', { class: 'tag tag-warn' }, icon('alert'), 'No second factor'),
        until ? h('span', { class: 'tag tag-session' }, `In session until ${formatTime(until)}`) : null,
        self ? h('span', { class: 'tag tag-current' }, 'You') : null);
      const row = h('li', { class: ['card', 'staff-row', !u.is_active && 'is-inactive'] },
        h('div', { class: 'staff-main' },
          h('h3', { class: 'row-title staff-name' }, u.display_name),
          h('p', { class: 'row-meta break' }, u.email),
          tags));
      if (!self) {
        const select = roleSelect(u.role, { allowOwner: isOwner });
        const saveRole = h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Save role for ${u.display_name}` }, 'Save role');
        saveRole.addEventListener('click', () => busy(saveRole, async () => {
          if (select.value === u.role) {
            notify(`${u.display_name} is already ${roleLabel(u.role).toLowerCase()}.`, { kind: 'info' });
            return;
          }
          try {
            const updated = await api.patch(`/users/${api.seg(u.id)}`, { role: select.value });
            notify(`${updated.display_name} is now ${roleLabel(updated.role).toLowerCase()}.`, { kind: 'success' });
            await load();
          } catch (err) {
            report(err);
            select.value = u.role;
          }
        }));
        const toggle = h('button', { type: 'button', class: 'button subtle small', 'aria-label': `${u.is_active ? 'Deactivate' : 'Reactivate'} ${u.display_name}` },
          u.is_active ? 'Deactivate' : 'Reactivate');
        toggle.addEventListener('click', async () => {
          if (u.is_active) {
            const ok = await confirmStep(`Deactivate ${u.display_name}?`, [
              'Their account stops working at once and every device of theirs is signed out.',
              'They stay in their conversations; you can reactivate the account later. To take them out of everything and hand their conversations over, use Offboard instead.',
            ], 'Deactivate');
            if (!ok) return;
          }
          busy(toggle, async () => {
            try {
              await api.post(`/users/${api.seg(u.id)}/${u.is_active ? 'deactivate' : 'reactivate'}`);
              notify(`${u.display_name} is ${u.is_active ? 'deactivated' : 'active again'}.`, { kind: 'success' });
              await load();
            } catch (err) {
              report(err);
            }
          });
        });
        const offboard = h('button', { type: 'button', class: 'button danger-outline small', 'aria-label': `Offboard ${u.display_name}` }, 'Offboard');
        offboard.addEventListener('click', () => openOffboard(u, people));
        // Locked out: a forgotten password, or a lost phone with the authenticator on it.
        const setPassword = h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Set a new password for ${u.display_name}` }, 'Set new password');
        setPassword.addEventListener('click', async () => {
          const input = h('input', { type: 'password', autocomplete: 'new-password', minlength: '12', maxlength: '1024' });
          const pw = field(`New password for ${u.display_name}`, input, { hint: 'At least 12 characters. Pass it on privately; they can change it in their settings.' });
          const ok = await confirmStep(`Set a new password for ${u.display_name}?`, [
            'Every device of theirs is signed out at once.',
          ], 'Set password', { danger: false, extra: pw.wrap });
          if (!ok) return;
          busy(setPassword, async () => {
            try {
              await api.post(`/users/${api.seg(u.id)}/password`, { new_password: input.value });
              notify(`New password set for ${u.display_name}; their devices are signed out.`, { kind: 'success' });
            } catch (err) {
              report(err);
            }
          });
        });
        const resetFactor = h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Reset two-step sign-in for ${u.display_name}` }, 'Reset two-step sign-in');
        resetFactor.addEventListener('click', async () => {
          const ok = await confirmStep(`Reset two-step sign-in for ${u.display_name}?`, [
            'For someone who lost the phone with their authenticator app and their recovery codes. Make sure it is really them asking (call them).',
            'Their authenticator app, recovery codes and passkeys are removed and every device of theirs is signed out. They sign in with their password and set up a new second factor.',
          ], 'Reset two-step sign-in');
          if (!ok) return;
          busy(resetFactor, async () => {
            try {
              await api.post(`/users/${api.seg(u.id)}/second-factor/reset`);
              notify(`${u.display_name}’s two-step sign-in is reset; their devices are signed out.`, { kind: 'success' });
              await load();
            } catch (err) {
              report(err);
            }
          });
        });
        const roleField = field(`Role of ${u.display_name}`, select, { className: 'role-field' });
        row.appendChild(h('div', { class: 'staff-actions' },
          h('div', { class: 'role-edit' }, roleField.wrap, saveRole),
          h('div', { class: 'form-actions' }, toggle, offboard),
          u.is_active ? h('div', { class: 'form-actions' }, setPassword, resetFactor) : null));
      }
      return row;
    }));
  }

  function renderInvites() {
    const pending = invites.filter((i) => i.state === 'pending');
    pendingNote.hidden = pending.length > 0;
    pendingList.replaceChildren(...pending.map((i) => {
      const revoke = h('button', { type: 'button', class: 'button danger-outline small', 'aria-label': `Revoke invitation for ${i.email}` }, 'Revoke');
      revoke.addEventListener('click', () => busy(revoke, async () => {
        try {
          await api.del(`/invites/${api.seg(i.id)}`);
          notify(`The invitation for ${i.email} is withdrawn: its link no longer works.`, { kind: 'success' });
          await load();
        } catch (err) {
          report(err);
        }
      }));
      return h('li', { class: 'list-row' },
        h('span', { class: 'row-icon', 'aria-hidden': 'true' }, icon('users')),
        h('div', { class: 'row-main' },
          h('p', { class: 'row-title' }, `${i.display_name} (${roleLabel(i.role)})`),
          h('p', { class: 'row-meta break' }, `${i.email} · expires ${formatFull(i.expires_at)}`)),
        revoke);
    }));
  }

  function renderRecords() {
    const people = peopleMap(users);
    recordsNote.hidden = records.length > 0;
    recordsList.replaceChildren(...records.map((r) => {
      const who = nameIn(people, r.user_id);
      return h('li', { class: 'list-row' },
        h('span', { class: 'row-icon', 'aria-hidden': 'true' }, icon('download')),
        h('div', { class: 'row-main' },
          h('p', { class: 'row-title' }, who),
          h('p', { class: 'row-meta' }, `Offboarded ${formatFull(r.performed_at)} by ${nameIn(people, r.performed_by)}${r.handed_to ? `, conversations and client work handed to ${nameIn(people, r.handed_to)}` : ''}`)),
        h('a', { class: 'button subtle small', href: recordUrl(r.id), download: '', 'aria-label': `Download the offboarding record of ${who}` }, 'Download'));
    }));
  }

  function openOffboard(u, people) {
    const colleagues = users.filter((x) => x.is_active && x.id !== u.id).sort((a, b) => a.display_name.localeCompare(b.display_name));
    openDialog(`Offboard ${u.display_name}`, (dlg, close) => {
      if (!colleagues.length) {
        fill(dlg, h('p', null, 'There is no active colleague to hand the conversations to.'));
        return;
      }
      const select = h('select', null, colleagues.map((c) => h('option', { value: c.id, selected: c.id === me.id }, c.display_name)));
      const steps = h('ul', { class: 'what-happens' });
      // What there is to hand over (GET …/offboarding-preview: counts only); null until known.
      let preview = null;
      const caution = h('p', { class: 'callout-title', role: 'alert', hidden: true });
      const cautionBox = h('div', { class: 'callout callout-problem', hidden: true }, icon('alert'), h('div', null, caution));
      const go = h('button', { type: 'button', class: 'button danger' }, h('span', { class: 'btn-label' }, `Offboard ${u.display_name}`));
      const renderSteps = () => {
        const to = nameIn(people, select.value);
        const p = preview;
        let clientWork = `Their clients, client threads, upcoming appointments and on-call shifts pass to ${to}.`;
        if (p && !(p.clients || p.appointments || p.on_call_shifts)) {
          clientWork = 'They have no clients, upcoming appointments or on-call shifts to hand over.';
        } else if (p) {
          clientWork = `Their client work passes to ${to}: ${counted(p.clients, 'client')} (${to} is assigned instead and joins ${counted(p.client_threads, 'client thread')}), ${counted(p.appointments, 'upcoming appointment')} and ${counted(p.on_call_shifts, 'on-call shift')} still to serve (a shift under way is split now: the part already served stays theirs).`;
        }
        steps.replaceChildren(...[
          `${u.display_name}’s account is deactivated: they can no longer sign in.`,
          'Every device of theirs is signed out at once, and the app there erases what it shows.',
          p ? `They are taken out of every conversation they are in (${p.conversations}).` : 'They are taken out of every conversation they are in.',
          `Their group conversations${p ? ` (${p.group_conversations})` : ''} are handed to ${to}, who becomes a member of each; channels they created pass to ${to}.`,
          clientWork,
          'Their status and any notifications held for them are cleared.',
          'A record of what was done is written, for you to download and file.',
        ].map((t) => h('li', null, t)));
        // The front desk cannot be a client's clinician or be on call: the server would refuse.
        const colleague = colleagues.find((c) => c.id === select.value);
        const blocked = !!(p && colleague && colleague.role === 'front_desk'
          && (p.clients || p.appointments || p.on_call_shifts));
        caution.textContent = blocked
          ? `${to} works at the front desk and cannot take clients, appointments or on-call shifts. Choose a clinician, supervisor, owner or admin.`
          : '';
        caution.hidden = !blocked;
        cautionBox.hidden = !blocked;
        go.disabled = blocked;
      };
      select.addEventListener('change', renderSteps);
      renderSteps();
      api.get(`/users/${api.seg(u.id)}/offboarding-preview`).then((p) => {
        preview = p;
        renderSteps();
      }).catch(() => {}); // the steps stay general; offboarding itself still says what it did
      const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
      cancel.addEventListener('click', close);
      const problem = problemBox();
      go.addEventListener('click', () => busy(go, async () => {
        showProblem(problem, '');
        try {
          const record = await api.post(`/users/${api.seg(u.id)}/offboard`, { hand_to: select.value });
          showRecord(dlg, u, record, people, close);
          load().catch(() => {});
        } catch (err) {
          if (!err.handled) showProblem(problem, err.detail);
        }
      }, 'Offboarding…'));
      fill(dlg,
        field('Hand conversations to', select, { hint: 'An active colleague who takes over their group conversations and their client work.' }).wrap,
        h('p', { class: 'dialog-lead' }, 'This is what will happen, at once:'),
        steps,
        cautionBox,
        problem,
        h('div', { class: 'form-actions' }, go, cancel));
      setTimeout(() => select.focus(), 0);
    });
  }

  function showRecord(dlg, u, record, people, close) {
    const s = record.summary || {};
    const to = record.handed_to ? ` to ${nameIn(people, record.handed_to)}` : '';
    const rows = [
      ['Performed', formatFull(record.performed_at)],
      ['Account deactivated', s.account_deactivated ? 'Yes' : 'No'],
      ['Devices signed out', String(s.devices_revoked ?? 0)],
      ['Conversations left', String(s.conversations_left ?? 0)],
      ['Group conversations handed over', `${s.conversations_handed_over ?? 0}${to}`],
      ['Channels passed on', String(s.ownership_transferred ?? 0)],
      ['Client threads handed over', `${s.client_threads ?? 0}${to}`],
      ['Clients handed over', `${s.assignments ?? 0}${to}`],
      ['Upcoming appointments moved', `${s.appointments ?? 0}${to}`],
      ['On-call shifts handed over', `${s.on_call_duties ?? 0}${to}${s.on_call_shifts_split ? ` (${s.on_call_shifts_split} under way, split now)` : ''}`],
      ['Held notifications cleared', String(s.held_notifications_cleared ?? 0)],
    ];
    const headId = uid('rec');
    const done = h('button', { type: 'button', class: 'button subtle' }, 'Done');
    done.addEventListener('click', close);
    fill(dlg,
      h('div', { class: 'callout callout-success', role: 'status' },
        icon('check'),
        h('div', null, h('p', { id: headId, class: 'callout-title', tabindex: '-1' }, `${u.display_name} is offboarded`))),
      h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      s.note ? h('p', { class: 'card-note' }, s.note) : null,
      h('div', { class: 'form-actions' },
        h('a', { class: 'button primary', href: recordUrl(record.id), download: '' }, icon('download'), h('span', null, 'Download the record')),
        done));
    dlg.querySelector(`#${headId}`).focus();
  }

  async function load() {
    const epoch = state.epoch;
    try {
      // /invites first: for anyone but owners and admins its 403 is the page's answer.
      const [i, u, r] = await Promise.all([api.get('/invites'), api.get('/users'), api.get('/offboarding-records')]);
      if (ctx.destroyed || epoch !== state.epoch) return;
      users = u;
      invites = i;
      records = r;
      renderDirectory();
      renderInvites();
      renderRecords();
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The staff directory');
    }
  }
  load();
}

/** "1 client", "3 clients". */
function counted(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function recordUrl(id) {
  return `/api/v1/offboarding-records/${api.seg(id)}/download`;
}

// -- devices -----------------------------------------------------------------------------------
function devicesPage(body, ctx) {
  let devices = null;
  const note = h('p', { class: 'empty-note' }, 'Loading the devices…');
  const list = h('ul', { class: 'card-list device-list' });
  const searchInput = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false' });
  searchInput.addEventListener('input', () => render());
  fill(body,
    h('p', { class: 'page-lead' }, 'Every signed-in browser and phone in the practice. Revoke a lost or stolen one: it is signed out at once, and the app there erases what it shows.'),
    field('Find a person or device', searchInput, { className: 'admin-search' }).wrap,
    note,
    list);

  function render() {
    if (ctx.destroyed || !devices) return;
    const q = searchInput.value.trim().toLowerCase();
    const shown = devices
      .filter((d) => !q || `${d.display_name} ${d.device_name}`.toLowerCase().includes(q))
      .sort((a, b) => a.display_name.localeCompare(b.display_name) || new Date(b.last_seen_at) - new Date(a.last_seen_at));
    note.hidden = shown.length > 0;
    note.textContent = devices.length ? 'No device matches.' : 'No devices are signed in.';
    list.replaceChildren(...shown.map((d) => {
      const devName = d.device_name || 'Unnamed device';
      const row = h('li', { class: ['card', 'device-row', d.current && 'is-current'] },
        h('span', { class: 'device-icon', 'aria-hidden': 'true' }, icon('devices')),
        h('div', { class: 'device-main' },
          h('p', { class: 'device-name' },
            h('span', null, devName),
            d.current ? h('span', { class: 'tag tag-current' }, 'This device') : null,
            d.locked ? h('span', { class: 'tag' }, icon('lock'), 'Locked') : null),
          h('p', { class: 'device-person' }, d.display_name),
          h('p', { class: 'device-meta' },
            h('time', { datetime: new Date(d.last_seen_at).toISOString(), title: formatFull(d.last_seen_at) }, lastUsed(d.last_seen_at)),
            h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · '),
            h('span', null, d.client === 'web' ? 'Web app' : 'App'),
            h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · '),
            h('span', null, `Signed in ${formatFull(d.created_at)}`))));
      if (!d.current) {
        const revoke = h('button', { type: 'button', class: 'button danger-outline small', 'aria-label': `Revoke ${devName} of ${d.display_name}` }, 'Revoke');
        revoke.addEventListener('click', async () => {
          const ok = await confirmStep('Revoke this device?', [
            `${d.display_name}’s “${devName}” is signed out at once. The app there erases what it shows as soon as it hears from Quietline.`,
            `Use this for a lost or stolen phone. ${d.display_name} can still sign in on other devices with their password.`,
          ], 'Revoke device');
          if (!ok) return;
          busy(revoke, async () => {
            try {
              await api.del(`/devices/${api.seg(d.id)}`);
              devices = devices.filter((x) => x.id !== d.id);
              render();
              notify(`${devName} of ${d.display_name} was signed out.`, { kind: 'success' });
            } catch (err) {
              report(err);
            }
          });
        });
        row.appendChild(revoke);
      }
      return row;
    }));
  }

  async function load() {
    try {
      const result = await api.get('/devices');
      if (ctx.destroyed) return;
      devices = result;
      render();
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The devices');
    }
  }
  ctx.offs.push(on('tick', render));
  load();
}

// -- policies ----------------------------------------------------------------------------------
const POLICY_FIELDS = [
  { key: 'require_second_factor', label: 'Require two-step sign-in', type: 'bool', hint: 'Everyone must add a passkey or an authenticator app; until they do, they can only set one up.' },
  { key: 'app_lock_minutes', label: 'Lock the app after (minutes)', type: 'int', min: 1, max: 240, hint: 'Without use, the app locks and hides what it shows until a PIN, password or passkey reopens it. 1 to 240.' },
  { key: 'session_idle_minutes', label: 'Sign out after inactivity (minutes)', type: 'int', min: 1, max: 1440, hint: 'A device not used for this long is signed out. 1 to 1440.' },
  { key: 'session_absolute_hours', label: 'Longest sign-in (hours)', type: 'int', min: 1, max: 720, hint: 'Everyone signs in again after this long, whatever happens. 1 to 720.' },
  { key: 'default_message_ttl_seconds', label: 'Messages expire after (minutes)', type: 'int', scale: 60, nullable: true, min: 1, max: 5256000, hint: 'Empty: messages are kept until retention or their sender’s choice. At least 1 minute.' },
  { key: 'recall_window_minutes', label: 'Recall window (minutes)', type: 'int', min: 1, max: 43200, hint: 'How long a sender can recall a message. 1 to 43200.' },
  { key: 'retention_days', label: 'Keep messages for (days)', type: 'int', nullable: true, min: 1, max: 36500, hint: 'Older messages are erased, except in conversations under a legal hold. Empty: no limit.' },
  { key: 'notification_text', label: 'Notification text', type: 'text', nullable: true, max: 60, hint: 'The only words a notification shows (empty: “New secure message”). Message content, senders and conversation names are never included in a notification, whatever you write here.' },
  { key: 'supervisor_visibility', label: 'Supervisor visibility', type: 'bool', hint: 'Supervisors may read the client threads of the clinicians they supervise (Admin → Supervision). Every read is recorded and shown to the thread’s members.' },
];

function policiesPage(body, ctx) {
  let current = null;
  const inputs = new Map(); // key -> {input, error, def}
  const summary = h('div', { class: 'form-problem', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Save policies'));
  const fields = POLICY_FIELDS.map((def) => {
    const errorId = uid('err');
    const error = h('p', { id: errorId, class: 'field-error', hidden: true });
    let input;
    let wrap;
    if (def.type === 'bool') {
      input = h('input', { type: 'checkbox' });
      const id = uid('f');
      input.id = id;
      const hintId = `${id}-hint`;
      input.setAttribute('aria-describedby', `${hintId} ${errorId}`);
      wrap = h('div', { class: 'field field-check' },
        h('div', { class: 'check-line' }, input, h('label', { for: id, class: 'field-label' }, def.label)),
        h('p', { id: hintId, class: 'field-hint' }, def.hint),
        error);
    } else {
      input = def.type === 'int'
        ? h('input', { type: 'number', inputmode: 'numeric', min: String(def.min), max: String(def.max), step: '1' })
        : h('input', { type: 'text', maxlength: String(def.max), autocomplete: 'off' });
      const f = field(def.label, input, { hint: def.hint });
      input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby')} ${errorId}`);
      f.wrap.appendChild(error);
      wrap = f.wrap;
    }
    inputs.set(def.key, { input, error, def });
    return wrap;
  });
  const form = h('form', { class: 'form policy-form', novalidate: true, 'aria-label': 'Practice policies' },
    fields, summary, h('div', { class: 'form-actions' }, save));
  const loading = h('p', { class: 'empty-note' }, 'Loading the policies…');
  form.hidden = true;
  fill(body,
    h('p', { class: 'page-lead' }, 'The practice’s rules. They apply to everyone from their next action. Quick replies are in Settings.'),
    loading,
    card('Sign-in, lock and messages', form));

  function setValues(p) {
    for (const { input, def } of inputs.values()) {
      const v = p[def.key];
      if (def.type === 'bool') input.checked = !!v;
      else if (v === null || v === undefined) input.value = '';
      else input.value = def.scale ? String(Math.round(v / def.scale)) : String(v);
    }
  }

  function clearErrors() {
    showProblem(summary, '');
    for (const { input, error } of inputs.values()) {
      error.hidden = true;
      error.textContent = '';
      input.removeAttribute('aria-invalid');
    }
  }

  function fieldError(key, text) {
    const entry = inputs.get(key);
    if (!entry) return false;
    entry.error.hidden = false;
    entry.error.textContent = text;
    entry.input.setAttribute('aria-invalid', 'true');
    return true;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors();
    const changes = {};
    const local = [];
    for (const { input, def } of inputs.values()) {
      let value;
      if (def.type === 'bool') value = input.checked;
      else if (def.type === 'int') {
        if (input.validity.badInput || (input.value.trim() && !/^-?\d+$/.test(input.value.trim()))) {
          local.push([def.key, 'Enter a whole number.']);
          continue;
        }
        if (!input.value.trim()) {
          if (!def.nullable) {
            local.push([def.key, 'This one cannot be empty.']);
            continue;
          }
          value = null;
        } else value = Number(input.value.trim()) * (def.scale || 1);
      } else value = input.value.trim() || null;
      if (value !== current[def.key]) changes[def.key] = value;
    }
    if (local.length) {
      for (const [k, t] of local) fieldError(k, t);
      showProblem(summary, 'Check the fields marked below.');
      inputs.get(local[0][0]).input.focus();
      return;
    }
    if (!Object.keys(changes).length) {
      notify('Nothing changed.', { kind: 'info' });
      return;
    }
    busy(save, async () => {
      try {
        const result = await api.patch('/practice/policy', changes);
        current = result;
        setValues(result);
        if (state.session) state.session.policy = { ...state.session.policy, ...result };
        emit('policy');
        notify('Policies saved. They apply to everyone from their next action.', { kind: 'success' });
      } catch (err) {
        if (err.handled) return;
        const errors = Array.isArray(err.body && err.body.errors) ? err.body.errors : [];
        let first = null;
        for (const item of errors) {
          const key = String(item.field || '').split('.').pop();
          if (fieldError(key, `This ${item.problem}.`.replace('This must', 'It must')) && !first) first = key;
        }
        if (!first) {
          const named = POLICY_FIELDS.find((d) => err.detail && err.detail.toLowerCase().includes(d.key.replace(/_/g, ' ')));
          if (named) {
            fieldError(named.key, err.detail);
            first = named.key;
          }
        }
        showProblem(summary, err.detail);
        if (first) inputs.get(first).input.focus();
      }
    }, 'Saving…');
  });

  (async () => {
    try {
      const p = await api.get('/practice/policy');
      if (ctx.destroyed) return;
      // Reading is open to everyone; changing is for owners and admins: say so up front.
      if (!state.me || (state.me.role !== 'owner' && state.me.role !== 'admin')) {
        await api.get('/devices'); // the server's own answer (403) for people who may not
      }
      current = p;
      setValues(p);
      loading.hidden = true;
      form.hidden = false;
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The policies');
    }
  })();
}

// -- audit -------------------------------------------------------------------------------------
const AUDIT_KINDS = [
  'auth.sign_in', 'auth.sign_in_failed', 'auth.sign_out', 'auth.session_expired', 'auth.second_factor_enabled',
  'device.revoked', 'device.app_locked', 'device.app_unlocked', 'policy.changed', 'user.created',
  'user.updated', 'user.role_changed', 'user.deactivated', 'user.reactivated', 'user.offboarded',
  'invite.created', 'invite.revoked', 'invite.accepted', 'conversation.created', 'conversation.updated',
  'conversation.member_added', 'conversation.member_removed', 'message.sent', 'message.viewed',
  'message.recalled', 'message.expiry_purged', 'message.retention_purged', 'access.emergency_opened',
  'access.emergency_closed', 'audit.queried', 'audit.exported', 'legal_hold.placed', 'legal_hold.released',
  'keys.master_key_rotated', 'keys.practice_key_rotated', 'practice.quick_replies_changed',
  // client messaging
  'client.created', 'client.updated', 'client.archived', 'client.viewed', 'client.clinician_assigned',
  'client.clinician_unassigned', 'client.consent_recorded', 'client.consent_revoked', 'client.sms_stop',
  'client.sms_start', 'client.message_received', 'client.outbound_queued', 'client.outbound_sent',
  'client.outbound_failed', 'client.outbound_delivered', 'client.page_signed_in', 'client.page_viewed',
  'client.crisis_detected', 'client.auto_reply', 'message.clinical_guard_overridden',
  'message.clinical_guard_blocked', 'appointment.created', 'appointment.confirmation_requested',
  'appointment.client_responded', 'appointment.running_late_sent', 'practice.on_call_changed',
  'practice.client_messaging_changed', 'practice.templates_changed', 'client.exported',
];

const kindLabel = (kind) => String(kind).replace(/[._]/g, ' ');

function auditPage(body, ctx) {
  let users = [];
  let filters = {};
  let nextBefore = null;

  // Filters.
  const person = h('select', null, h('option', { value: '' }, 'Anyone'));
  const conversation = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '36', class: 'mono' });
  const clientFilter = clientPicker('Client', 'Entries about the client: their record, their threads, their texts. Type part of a name, then choose.');
  const kind = h('select', null, h('option', { value: '' }, 'Any kind'), AUDIT_KINDS.map((k) => h('option', { value: k }, kindLabel(k))));
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const apply = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Apply filters'));
  const clear = h('button', { type: 'button', class: 'button subtle' }, 'Clear filters');
  const filterProblem = problemBox();
  const filterForm = h('form', { class: 'form form-filters', novalidate: true },
    field('Person', person).wrap,
    field('Conversation', conversation, { hint: 'A conversation id.' }).wrap,
    clientFilter.wrap,
    field('Kind', kind).wrap,
    field('From date', from).wrap,
    field('To date', to).wrap,
    filterProblem,
    h('div', { class: 'form-actions' }, apply, clear));
  const csv = h('a', { class: 'button subtle small', download: '' }, icon('download'), h('span', null, 'Export CSV'));
  const json = h('a', { class: 'button subtle small', download: '' }, icon('download'), h('span', null, 'Export JSON'));
  const resultNote = h('p', { class: 'card-note', role: 'status' }, 'Loading the audit log…');
  const entries = h('ol', { class: 'audit-list', 'aria-label': 'Audit entries' });
  const more = h('button', { type: 'button', class: 'button subtle', hidden: true }, h('span', { class: 'btn-label' }, 'Load more'));

  // Verify.
  const verify = h('button', { type: 'button', class: 'button secondary' }, icon('shield'), h('span', { class: 'btn-label' }, 'Verify the audit chain'));
  const verifyResult = h('div', { class: 'verify-result', role: 'status' });

  // Access report.
  const viewer = h('select', null, h('option', { value: '' }, 'Anyone'));
  const viewed = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '36', class: 'mono' });
  const viewedClient = clientPicker('Client viewed', 'Every thread of the client. Type part of a name, then choose.');
  const reportFrom = h('input', { type: 'date' });
  const reportTo = h('input', { type: 'date' });
  const show = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Show access report'));
  const reportProblem = problemBox();
  const reportForm = h('form', { class: 'form form-filters', novalidate: true },
    field('Conversation viewed', viewed, { hint: 'A conversation id; empty for every conversation.' }).wrap,
    viewedClient.wrap,
    field('Person viewing', viewer).wrap,
    field('Report from', reportFrom).wrap,
    field('Report to', reportTo).wrap,
    reportProblem,
    h('div', { class: 'form-actions' }, show));
  const reportSummary = h('p', { class: 'card-note', role: 'status' });
  const reportCsv = h('a', { class: 'button subtle small', download: '' }, icon('download'), h('span', null, 'Export report CSV'));
  const reportJson = h('a', { class: 'button subtle small', download: '' }, icon('download'), h('span', null, 'Export report JSON'));
  const reportExports = h('div', { class: 'form-actions export-actions', hidden: true }, reportCsv, reportJson);
  const reportRows = h('ol', { class: 'audit-list', 'aria-label': 'Views' });
  const reportMore = h('button', { type: 'button', class: 'button subtle', hidden: true }, h('span', { class: 'btn-label' }, 'Load more views'));
  let reportQuery = null;
  let reportClient = null; // {id, name} of the client the report is for: the name is shown here only
  let reportNext = null;

  fill(body,
    h('p', { class: 'page-lead' }, 'Who did what, and when: ids, times and kinds only, never message content.'),
    card('Filter the audit log', filterForm),
    card('Entries',
      h('div', { class: 'form-actions export-actions' }, csv, json),
      resultNote, entries, more),
    card('Audit chain',
      h('p', { class: 'card-lead' }, 'Each entry is sealed to the one before it. Checking the chain shows whether any entry was changed or removed.'),
      h('div', { class: 'form-actions' }, verify), verifyResult),
    card('Access report',
      h('p', { class: 'card-lead' }, 'Who viewed which messages, when and on which device. Views under emergency access or by a supervisor are marked. The exported files name a client by id only.'),
      reportForm, reportSummary, reportExports, reportRows, reportMore));

  const people = () => peopleMap(users);

  function query(extra = {}) {
    const q = new URLSearchParams();
    if (filters.actor_user_id) q.set('actor_user_id', filters.actor_user_id);
    if (filters.conversation_id) q.set('conversation_id', filters.conversation_id);
    if (filters.client_id) q.set('client_id', filters.client_id);
    if (filters.kind) q.set('kind', filters.kind);
    if (filters.since) q.set('since', filters.since);
    if (filters.until) q.set('until', filters.until);
    for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
    return q;
  }

  function updateExports() {
    csv.setAttribute('href', `/api/v1/audit/export?${query({ format: 'csv' })}`);
    json.setAttribute('href', `/api/v1/audit/export?${query({ format: 'json' })}`);
  }

  function entryNode(e) {
    const map = people();
    const details = e.details && typeof e.details === 'object'
      ? Object.entries(e.details).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ')
      : '';
    return h('li', { class: 'audit-entry' },
      h('p', { class: 'audit-top' },
        h('span', { class: 'audit-kind' }, kindLabel(e.kind)),
        h('time', { datetime: new Date(e.at).toISOString(), class: 'audit-time' }, formatFull(e.at))),
      h('p', { class: 'row-meta' },
        `By ${e.actor_user_id ? nameIn(map, e.actor_user_id) : 'the system'}`,
        e.subject_type ? ` · ${e.subject_type} ${e.subject_type === 'user' ? nameIn(map, e.subject_id) : String(e.subject_id || '')}` : '',
        ` · #${e.seq}`),
      details ? h('p', { class: 'audit-details break' }, details) : null);
  }

  async function loadEntries(append) {
    const epoch = state.epoch;
    const extra = { limit: 50 };
    if (append && nextBefore) extra.before_seq = nextBefore;
    const { data, headers } = await api.request('GET', `/audit?${query(extra)}`, { withHeaders: true });
    if (ctx.destroyed || epoch !== state.epoch) return;
    const next = headers.get('X-Next-Before-Seq');
    nextBefore = next ? Number(next) : null;
    more.hidden = !nextBefore;
    if (!append) entries.replaceChildren();
    entries.append(...data.map(entryNode));
    const n = entries.children.length;
    resultNote.textContent = n ? `${n} ${n === 1 ? 'entry' : 'entries'} shown, newest first${nextBefore ? '; more are available' : ''}.` : 'No entries match these filters.';
  }

  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(filterProblem, '');
    conversation.removeAttribute('aria-invalid');
    const cid = conversation.value.trim();
    if (cid && !UUID_RE.test(cid)) {
      showProblem(filterProblem, 'A conversation id looks like 3f2b8c1e-…: 36 letters, digits and dashes.');
      conversation.setAttribute('aria-invalid', 'true');
      conversation.focus();
      return;
    }
    if (pickerUnchosen(clientFilter, filterProblem)) return;
    const pickedClient = clientFilter.chosen();
    filters = {
      actor_user_id: person.value || null,
      conversation_id: cid || null,
      client_id: pickedClient ? pickedClient.id : null,
      kind: kind.value || null,
      since: dayStart(from.value),
      until: dayStart(to.value, 1),
    };
    updateExports();
    busy(apply, async () => {
      try {
        await loadEntries(false);
      } catch (err) {
        if (!err.handled) showProblem(filterProblem, err.detail);
      }
    }, 'Loading…');
  });
  clear.addEventListener('click', () => {
    person.value = '';
    conversation.value = '';
    clientFilter.reset();
    kind.value = '';
    from.value = '';
    to.value = '';
    filterForm.requestSubmit();
  });
  more.addEventListener('click', () => busy(more, () => loadEntries(true), 'Loading…'));

  verify.addEventListener('click', () => busy(verify, async () => {
    verifyResult.replaceChildren();
    try {
      const r = await api.get('/audit/verify');
      const text = r.ok
        ? `The audit chain is intact: all ${r.entries} entries check out, and none was changed or removed.`
        : `The audit chain is broken${r.first_bad_seq ? ` at entry #${r.first_bad_seq}` : ''}: ${r.problem || 'an entry does not match the one before it'}. Keep this device as it is and contact whoever runs your server.`;
      fill(verifyResult, h('p', { class: ['verify-line', r.ok ? 'is-ok' : 'is-bad'] }, icon(r.ok ? 'check' : 'alert'), h('span', null, text)));
    } catch (err) {
      report(err);
    }
  }, 'Checking…'));

  function reportRow(r) {
    const what = r.via === 'seen' && r.up_to_seq
      ? `saw messages up to #${r.up_to_seq}`
      : `viewed ${r.message_ids.length} ${r.message_ids.length === 1 ? 'message' : 'messages'}${r.via ? ` (${r.via})` : ''}`;
    let where = r.conversation_id ? conversationLabel(r.conversation_id) : 'no conversation';
    if (r.client_id) {
      where = reportClient && reportClient.id === r.client_id
        ? `${reportClient.name}’s thread`
        : `A client’s thread (client ${String(r.client_id).slice(0, 8)})`;
    }
    return h('li', { class: ['audit-entry', 'access-row', r.emergency_access && 'is-emergency'] },
      r.emergency_access ? h('p', { class: 'emergency-tag' }, icon('alert'), h('span', null, 'Emergency access')) : null,
      r.supervision ? h('p', { class: 'emergency-tag' }, icon('shield'), h('span', null, 'Read as a supervisor')) : null,
      h('p', { class: 'audit-top' },
        h('span', { class: 'audit-kind' }, `${r.user_name || 'Someone'} ${what}`),
        h('time', { datetime: new Date(r.at).toISOString(), class: 'audit-time' }, formatFull(r.at))),
      h('p', { class: 'row-meta break' },
        `${r.device_name ? `On ${r.device_name}` : 'Device unknown'} · ${where} · id ${r.conversation_id || '—'}`));
  }

  async function loadReport(append) {
    const q = new URLSearchParams(reportQuery);
    if (append && reportNext) q.set('after_seq', String(reportNext));
    const r = await api.get(`/audit/access-report?${q}`);
    if (ctx.destroyed) return;
    if (!append) reportRows.replaceChildren();
    reportRows.append(...r.rows.map(reportRow));
    reportNext = r.next_after_seq;
    reportMore.hidden = !reportNext;
    const s = r.summary;
    const whose = reportClient ? ` of ${reportClient.name}’s messages` : '';
    reportSummary.textContent = s.entries
      ? `${s.entries} ${s.entries === 1 ? 'view' : 'views'}${whose} by ${s.people} ${s.people === 1 ? 'person' : 'people'} on ${s.devices} ${s.devices === 1 ? 'device' : 'devices'} between ${formatFull(r.since)} and ${formatFull(r.until)}; ${s.emergency_entries ? `${s.emergency_entries} under emergency access` : 'none under emergency access'}.`
      : `Nobody viewed ${reportClient ? `${reportClient.name}’s messages` : 'messages'} between ${formatFull(r.since)} and ${formatFull(r.until)}.`;
    if (!append) {
      const file = (format) => `/api/v1/audit/access-report/export?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(reportQuery)), format })}`;
      reportCsv.setAttribute('href', file('csv'));
      reportJson.setAttribute('href', file('json'));
      reportExports.hidden = false;
    }
  }

  reportForm.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(reportProblem, '');
    const cid = viewed.value.trim();
    if (cid && !UUID_RE.test(cid)) {
      showProblem(reportProblem, 'A conversation id looks like 3f2b8c1e-…: 36 letters, digits and dashes.');
      viewed.focus();
      return;
    }
    if (pickerUnchosen(viewedClient, reportProblem)) return;
    const q = new URLSearchParams();
    if (cid) q.set('conversation_id', cid);
    reportClient = viewedClient.chosen();
    if (reportClient) q.set('client_id', reportClient.id);
    reportExports.hidden = true;
    if (viewer.value) q.set('user_id', viewer.value);
    if (reportFrom.value) q.set('from', dayStart(reportFrom.value));
    if (reportTo.value) q.set('to', dayStart(reportTo.value, 1));
    reportQuery = q.toString();
    busy(show, async () => {
      try {
        await loadReport(false);
      } catch (err) {
        if (!err.handled) showProblem(reportProblem, err.detail);
      }
    }, 'Loading…');
  });
  reportMore.addEventListener('click', () => busy(reportMore, () => loadReport(true), 'Loading…'));

  (async () => {
    try {
      updateExports();
      await loadEntries(false);
      users = await api.get('/users');
      if (ctx.destroyed) return;
      const options = [...users].sort((a, b) => a.display_name.localeCompare(b.display_name))
        .map((u) => [u.id, u.display_name]);
      person.append(...options.map(([id, n]) => h('option', { value: id }, n)));
      viewer.append(...options.map(([id, n]) => h('option', { value: id }, n)));
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The audit log');
    }
  })();
}

// -- emergency access --------------------------------------------------------------------------
// A crisis alert about a thread the person is not in (main.js): the emergency page offers it.
let suggestedConversation = null;

/** Fill in the emergency page's conversation with this thread (now, or when it next opens). */
export function suggestEmergencyAccess(conversationId) {
  suggestedConversation = conversationId;
  emit('emergency-suggested');
}

function emergencyPage(body, ctx) {
  // Owners and admins: any conversation. Anyone else: only while on call, a client's thread
  // (decision 0014); the server decides, this page only words it for them.
  const admin = !!state.me && ['owner', 'admin'].includes(state.me.role);
  const conversation = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '36', class: 'mono' });
  const takeSuggestion = () => {
    if (suggestedConversation && !conversation.value.trim()) conversation.value = suggestedConversation;
    suggestedConversation = null;
  };
  takeSuggestion();
  ctx.offs.push(on('emergency-suggested', takeSuggestion));
  const reason = h('textarea', { rows: '3', maxlength: '500' });
  const minutes = h('input', { type: 'number', inputmode: 'numeric', min: '1', max: '240', step: '1', value: '60' });
  const openButton = h('button', { type: 'submit', class: 'button danger' }, h('span', { class: 'btn-label' }, 'Open emergency access'));
  const check = h('button', { type: 'button', class: 'button subtle' }, h('span', { class: 'btn-label' }, 'Show grants'));
  const problem = problemBox();
  const form = h('form', { class: 'form', novalidate: true },
    field('Conversation id', conversation, {
      hint: admin
        ? 'Find it in the audit log or the access report.'
        : 'A crisis alert about a client’s thread you are not in fills it in.',
    }).wrap,
    field('Reason', reason, { hint: '10 to 500 characters. The conversation’s members see it.' }).wrap,
    field('Minutes', minutes, { hint: admin ? 'How long the access lasts: 1 to 240.' : 'How long the access lasts: 1 to 240, and no longer than your shift.' }).wrap,
    problem,
    h('div', { class: 'form-actions' }, openButton, check));
  const grants = h('ul', { class: 'plain-list' });
  const grantsNote = h('p', { class: 'card-note', role: 'status' });
  fill(body,
    h('p', { class: 'page-lead' }, admin
      ? 'Read a conversation you are not in, when there is no other way: for a stated reason and a limited time. Its members see a banner at once, every message you read is recorded and marked in the access report, and you cannot send in it.'
      : 'You are on call: when a client may be at risk, you can read their thread even if you are not in it, for a stated reason, until your shift ends at the latest. Its members see a banner at once, every message you read is recorded and marked in the access report, and you cannot send in it.'),
    card('Open emergency access', form),
    card('Grants for this conversation', grantsNote, grants));

  function conversationId() {
    const cid = conversation.value.trim().toLowerCase();
    if (!UUID_RE.test(cid)) {
      showProblem(problem, 'Enter the conversation id: 36 letters, digits and dashes.');
      conversation.setAttribute('aria-invalid', 'true');
      conversation.focus();
      return null;
    }
    conversation.removeAttribute('aria-invalid');
    return cid;
  }

  async function showGrants(cid) {
    const list = await api.get(`/conversations/${api.seg(cid)}/emergency-access`);
    if (ctx.destroyed) return;
    const map = peopleMap([]);
    grantsNote.textContent = list.length ? '' : 'Nobody has opened emergency access to this conversation.';
    grants.replaceChildren(...list.map((g) => {
      const main = h('div', { class: 'row-main' },
        h('p', { class: 'row-title' }, g.live ? `Open until ${formatTime(g.expires_at)}` : `Ended ${formatFull(g.closed_at || g.expires_at)}`),
        h('p', { class: 'row-meta' }, `Opened ${formatFull(g.opened_at)} by ${nameIn(map, g.user_id)}`),
        h('p', { class: 'row-meta break' }, `Reason: ${g.reason || 'cannot be shown'}`));
      const row = h('li', { class: ['list-row', g.live && 'is-live'] },
        h('span', { class: 'row-icon', 'aria-hidden': 'true' }, icon(g.live ? 'alert' : 'clock')),
        main);
      if (g.live) {
        const actions = h('div', { class: 'form-actions' },
          h('a', { class: 'button secondary small', href: `#/c/${g.conversation_id}` }, 'Read the conversation'));
        if (state.me && g.user_id === state.me.id) {
          const end = h('button', { type: 'button', class: 'button subtle small' }, 'End emergency access');
          end.addEventListener('click', () => busy(end, async () => {
            try {
              await api.del(`/conversations/${api.seg(cid)}/emergency-access/${api.seg(g.id)}`);
              notify('Emergency access ended.', { kind: 'success' });
              await showGrants(cid);
            } catch (err) {
              report(err);
            }
          }));
          actions.appendChild(end);
        }
        main.appendChild(actions); // under the text: beside it, a phone leaves the text no room
      }
      return row;
    }));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(problem, '');
    const cid = conversationId();
    if (!cid) return;
    const text = reason.value.trim();
    if (text.length < 10) {
      showProblem(problem, 'Give the reason in at least 10 characters.');
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    reason.removeAttribute('aria-invalid');
    busy(openButton, async () => {
      try {
        const g = await api.post(`/conversations/${api.seg(cid)}/emergency-access`, { reason: text, minutes: Number(minutes.value) || 60 });
        reason.value = '';
        notify(`Emergency access is open until ${formatTime(g.expires_at)}. The members can see it.`, { kind: 'success' });
        await showGrants(cid);
      } catch (err) {
        if (!err.handled) showProblem(problem, err.detail);
      }
    }, 'Opening…');
  });
  check.addEventListener('click', () => {
    showProblem(problem, '');
    const cid = conversationId();
    if (!cid) return;
    busy(check, async () => {
      try {
        await showGrants(cid);
      } catch (err) {
        if (!err.handled) showProblem(problem, err.detail);
      }
    });
  });

  if (admin) {
    // The server's answer for who may open this page (403 for anyone but owners and admins).
    api.get('/legal-holds').catch((err) => {
      if (!ctx.destroyed) showFailure(body, err, 'Emergency access');
    });
    return;
  }
  // Anyone else: only while on call (the server refuses a grant otherwise, with the same words).
  api.get('/on-call/now').then((people) => {
    if (ctx.destroyed || people.some((p) => state.me && p.user_id === state.me.id)) return;
    fill(body, h('div', { class: 'callout callout-problem', role: 'alert' },
      icon('shield'),
      h('div', null,
        h('p', { class: 'callout-title' }, 'You are not on call now.'),
        h('p', null, 'Emergency access is for the practice’s owners and admins, and for whoever is on call while their shift lasts. Ask an owner or admin, or the person on call.'))));
  }).catch((err) => {
    if (!ctx.destroyed) showFailure(body, err, 'Emergency access');
  });
}

// -- legal holds -------------------------------------------------------------------------------
function holdsPage(body, ctx) {
  let holds = null;
  let users = [];
  let clientNames = new Map(); // client id -> display name, for this page only
  const conversation = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '36', class: 'mono' });
  const clientHold = clientPicker('Client', 'Or hold a client: every thread of theirs, now and later. Type part of a name, then choose.');
  const reason = h('textarea', { rows: '2', maxlength: '500' });
  const place = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Place legal hold'));
  const problem = problemBox();
  const form = h('form', { class: 'form', novalidate: true },
    field('Conversation id', conversation, { hint: 'Hold one conversation; or leave this empty and choose a client below.' }).wrap,
    clientHold.wrap,
    field('Reason', reason, { hint: 'The case or request the hold is for: 10 to 500 characters.' }).wrap,
    problem,
    h('div', { class: 'form-actions' }, place));
  const note = h('p', { class: 'card-note' }, 'Loading the legal holds…');
  const list = h('ul', { class: 'plain-list hold-list' });
  fill(body,
    h('p', { class: 'page-lead' }, 'A legal hold keeps every message of a conversation, or of every thread of a client, from deletion (expiry and retention) until it is released. It makes nothing readable that was not.'),
    card('Place a legal hold', form),
    card('Holds', note, list));

  function holdLabel(x) {
    if (x.client_id) {
      const name = clientNames.get(x.client_id);
      return name ? `Client ${name}` : `A client (${String(x.client_id).slice(0, 8)})`;
    }
    return x.conversation_id ? conversationLabel(x.conversation_id) : 'The whole practice';
  }

  function render() {
    if (!holds) return;
    const map = peopleMap(users);
    note.textContent = holds.length ? '' : 'Nothing is under a legal hold.';
    note.hidden = holds.length > 0;
    list.replaceChildren(...holds.map((x) => {
      const label = holdLabel(x);
      const row = h('li', { class: 'list-row' },
        h('span', { class: 'row-icon', 'aria-hidden': 'true' }, icon(x.active ? 'lock' : 'check')),
        h('div', { class: 'row-main' },
          h('p', { class: 'row-title' }, label,
            x.active ? h('span', { class: 'tag tag-warn' }, 'Active') : h('span', { class: 'tag' }, 'Released')),
          h('p', { class: 'row-meta break' }, x.client_id
            ? `Client id ${x.client_id}: every thread of the client`
            : `Conversation id ${x.conversation_id || '—'}`),
          h('p', { class: 'row-meta break' }, `Reason: ${x.reason || 'cannot be shown'}`),
          h('p', { class: 'row-meta' }, `Placed ${formatFull(x.placed_at)} by ${nameIn(map, x.placed_by)}${x.released_at ? `; released ${formatFull(x.released_at)} by ${nameIn(map, x.released_by)}` : ''}`)));
      if (x.active) {
        const release = h('button', { type: 'button', class: 'button danger-outline small', 'aria-label': `Release the hold on ${label}` }, 'Release');
        release.addEventListener('click', async () => {
          const ok = await confirmStep('Release this legal hold?', [
            `${label} is no longer held. The next purge may delete messages that are past their expiry or the retention period.`,
          ], 'Release hold');
          if (!ok) return;
          busy(release, async () => {
            try {
              await api.del(`/legal-holds/${api.seg(x.id)}`);
              notify('The legal hold is released.', { kind: 'success' });
              await load();
            } catch (err) {
              report(err);
            }
          });
        });
        row.appendChild(release);
      }
      return row;
    }));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(problem, '');
    const cid = conversation.value.trim().toLowerCase();
    if (pickerUnchosen(clientHold, problem)) return;
    const picked = clientHold.chosen();
    if (cid && picked) {
      showProblem(problem, 'Hold either a conversation or a client: empty one of the two.');
      conversation.focus();
      return;
    }
    if (!picked && !UUID_RE.test(cid)) {
      showProblem(problem, 'Enter the conversation id (36 letters, digits and dashes), or choose a client.');
      conversation.focus();
      return;
    }
    busy(place, async () => {
      try {
        const text = reason.value.trim();
        if (picked) {
          await api.post('/legal-holds', { client_id: picked.id, reason: text });
          clientNames.set(picked.id, picked.name);
        } else {
          await api.post(`/conversations/${api.seg(cid)}/legal-hold`, { reason: text });
        }
        conversation.value = '';
        clientHold.reset();
        reason.value = '';
        notify(picked ? `${picked.name} is under a legal hold: every thread of theirs.` : 'The conversation is under a legal hold.', { kind: 'success' });
        await load();
      } catch (err) {
        if (!err.handled) showProblem(problem, err.detail);
      }
    }, 'Placing…');
  });

  async function load() {
    try {
      const [result, people] = await Promise.all([api.get('/legal-holds'), api.get('/users')]);
      if (ctx.destroyed) return;
      if (result.some((x) => x.client_id && !clientNames.has(x.client_id))) {
        // Names for display only (the list is recorded as viewed, like any client list).
        const clients = await api.get('/clients?include_archived=true&limit=500');
        if (ctx.destroyed) return;
        clientNames = new Map(clients.map((c) => [c.id, c.display_name]));
      }
      holds = result;
      users = people;
      render();
    } catch (err) {
      if (!ctx.destroyed) showFailure(body, err, 'The legal holds');
    }
  }
  load();
}

// -- compliance --------------------------------------------------------------------------------
const STATES = {
  ok: { text: 'OK', icon: 'check' },
  warning: { text: 'Warning', icon: 'alert' },
  problem: { text: 'Problem', icon: 'close' },
  unknown: { text: 'Unknown', icon: 'question' },
};

function compliancePage(body, ctx) {
  const note = h('p', { class: 'card-note', role: 'status' }, 'Checking…');
  const list = h('ul', { class: 'card-list check-list', 'aria-label': 'Checks' });
  const again = h('button', { type: 'button', class: 'button subtle' }, h('span', { class: 'btn-label' }, 'Check again'));
  fill(body,
    h('p', { class: 'page-lead' }, 'How the practice stands on the safeguards that matter for compliance, in plain words.'),
    note, list, h('div', { class: 'form-actions' }, again));

  async function load() {
    try {
      const r = await api.get('/compliance');
      if (ctx.destroyed) return;
      const checks = Array.isArray(r.checks) ? r.checks : [];
      const count = (s) => checks.filter((c) => c.state === s).length;
      note.textContent = `${checks.length} checks at ${formatFull(r.generated_at)}: ${count('ok')} OK, ${count('warning')} warnings, ${count('problem')} problems, ${count('unknown')} unknown.`;
      list.replaceChildren(...checks.map((c) => {
        const st = STATES[c.state] || STATES.unknown;
        const headId = uid('chk');
        return h('li', { class: ['card', 'check', `check-${STATES[c.state] ? c.state : 'unknown'}`] },
          h('p', { class: 'check-state' }, icon(st.icon), h('span', null, st.text)),
          h('div', { class: 'check-main' },
            h('h2', { id: headId, class: 'check-title' }, c.title),
            h('p', { class: 'check-summary' }, c.summary),
            h('p', { class: 'row-meta' }, c.explanation)));
      }));
    } catch (err) {
      if (ctx.destroyed || err.handled) return;
      if (err.status === 404) {
        note.textContent = 'This server does not offer the compliance checks yet. Update Quietline to see them.';
        list.replaceChildren();
        return;
      }
      showFailure(body, err, 'The compliance checks');
    }
  }
  again.addEventListener('click', () => busy(again, load, 'Checking…'));
  load();
}
