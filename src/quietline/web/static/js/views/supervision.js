// Clinical supervision (decision 0021), loaded with import() when first opened:
//
// * #/supervision: "Supervisees’ threads", for supervisors (and owners who supervise): the
//   client threads of their supervisees' clients (GET /supervision/threads). While the
//   practice's supervisor visibility policy is off the page says so and lists nothing.
// * #/supervision/<conversation-id>: one of those threads, read-only (GET /conversations/{id}
//   and its /messages, "Load earlier messages", "Check for new messages"). No composer, no
//   receipts sent: the reader is not a member. The server records every read and tells the
//   members; the page says so.
// * Admin → Supervision (#/admin/supervision): owners and admins assign supervisees
//   (POST /supervisions), see who supervises whom (GET /supervisions) and end a supervision
//   (DELETE /supervisions/{id}).
//
// Message text stays in this page's memory only and is dropped when the page goes.

import * as api from '../api.js';
import {
  busy, fill, formatDay, formatFull, formatRelative, formatTime, h, hueClass, icon, initials, notify,
  report, timeEl, uid,
} from '../dom.js';
import { loadDirectory, on, state, userName } from '../state.js';
import { describeMessage } from './client-thread.js';
import { card, confirmStep, labelled, problemBox, showFailure, showProblem } from './parts.js';

export const SUPERVISOR_ROLES = ['supervisor', 'owner'];
const SUPERVISEE_ROLES = ['clinician', 'supervisor'];
const TITLE = 'Supervisees’ threads';

function names(ids) {
  return (ids || []).map((id) => userName(id)).join(', ');
}

async function ensureDirectory() {
  if (!state.users.size) await loadDirectory();
}

// -- the supervisor's list ---------------------------------------------------------------------
export function mountSupervisedThreads(main) {
  let destroyed = false;
  let request = 0;
  const offs = [];
  const titleId = uid('sup');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, TITLE);
  const status = h('div');
  const list = h('ul', { class: 'client-list', 'aria-label': TITLE, hidden: true });
  const empty = h('p', { class: 'empty-note', role: 'status' }, 'Loading…');
  fill(main,
    h('section', { class: 'page-view supervision-view', 'aria-labelledby': titleId },
      h('div', { class: 'page-head' }, title),
      h('p', { class: 'page-lead' }, 'The client threads of the clinicians you supervise. You can read them, not write in them. Each time you read one, it is recorded and its members see that you did.'),
      status,
      list,
      empty));
  document.title = `${TITLE} · Quietline`;

  function row(t) {
    const name = t.title || 'Client';
    const sub = [`${names(t.supervisee_ids)}’s client`, `active ${formatRelative(t.last_activity_at).toLowerCase()}`];
    return h('li', { class: 'client-item' },
      h('a', { class: 'client-row', href: `#/supervision/${t.conversation_id}` },
        h('span', { class: ['avatar', 'avatar-client', hueClass(t.client_id)], 'aria-hidden': 'true' }, initials(name)),
        h('span', { class: 'client-main' },
          h('span', { class: 'client-name' }, name),
          h('span', { class: 'client-sub' }, sub.join(' · '))),
        h('span', { class: 'client-badges' }, t.archived ? h('span', { class: 'badge' }, 'Archived') : null)));
  }

  async function load() {
    const n = ++request;
    try {
      const [found] = await Promise.all([api.get('/supervision/threads'), ensureDirectory()]);
      if (destroyed || n !== request) return;
      status.replaceChildren();
      if (!found.may_supervise) {
        status.append(h('div', { class: 'callout callout-warning', role: 'status' }, icon('shield'),
          h('div', null, h('p', { class: 'callout-title' }, 'Only supervisors read their supervisees’ threads.'),
            h('p', null, 'An owner or admin gives someone the supervisor role and assigns their supervisees under Admin → Supervision.'))));
      } else if (!found.supervisor_visibility) {
        status.append(h('div', { class: 'callout callout-warning', role: 'status' }, icon('shield'),
          h('div', null, h('p', { class: 'callout-title' }, 'Supervisor visibility is off in your practice.'),
            h('p', null, 'While it is off, you cannot read your supervisees’ client threads. An owner or admin can turn it on under Admin → Policies.'))));
      }
      const threads = found.threads || [];
      list.replaceChildren(...threads.map(row));
      list.hidden = !threads.length;
      empty.hidden = !!threads.length || !found.may_supervise || !found.supervisor_visibility;
      empty.textContent = 'None of your supervisees has client threads yet.';
    } catch (err) {
      if (destroyed) return;
      empty.hidden = true;
      showFailure(status, err, TITLE);
    }
  }

  offs.push(on('supervision', () => load()));
  offs.push(on('policy', () => load()));
  offs.push(on('users', () => { if (!destroyed && request) load(); }));
  load();
  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    destroy() {
      destroyed = true;
      offs.forEach((off) => off());
      document.title = 'Quietline';
    },
  };
}

// -- one thread, read-only ---------------------------------------------------------------------
export function mountSupervisedThread(main, id) {
  let destroyed = false;
  let conversation = null;
  let messages = []; // oldest first; in this page's memory only
  let nextBefore = null;
  const titleId = uid('supt');
  const back = h('a', { href: '#/supervision', class: 'back-link' }, icon('back'), h('span', null, `Back to ${TITLE.toLowerCase()}`));
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'Loading…');
  const sub = h('p', { class: 'page-lead' });
  const earlier = h('button', { type: 'button', class: 'button subtle small', hidden: true }, h('span', { class: 'btn-label' }, 'Load earlier messages'));
  const refresh = h('button', { type: 'button', class: 'button secondary small' }, icon('retry'), h('span', { class: 'btn-label' }, 'Check for new messages'));
  const note = h('p', { class: 'log-note', role: 'status' }, 'Loading messages…');
  const ol = h('ol', { class: 'messages' });
  const log = h('div', { class: 'supervised-log', role: 'log', 'aria-label': 'Messages', tabindex: '0' },
    h('div', { class: 'log-top' }, earlier, note), ol);
  const section = h('section', { class: 'page-view supervised-thread', 'aria-labelledby': titleId },
    back,
    h('div', { class: 'page-head row-head' }, title, refresh),
    sub,
    h('div', { class: 'callout callout-warning supervision-reading', role: 'note' }, icon('shield'),
      h('div', null,
        h('p', { class: 'callout-title' }, 'Reading as supervisor'),
        h('p', null, 'The thread’s members see that you read it, and when. Only they can write in it.'))),
    log);
  fill(main, section);
  document.title = `Supervision · Quietline`;

  function draw() {
    if (destroyed || !conversation) return;
    const c = conversation;
    const items = [];
    let lastDay = '';
    for (const m of messages) {
      const day = new Date(m.created_at).toDateString();
      if (day !== lastDay) {
        items.push(h('li', { class: 'day-divider' }, h('span', null, formatDay(m.created_at))));
        lastDay = day;
      }
      const d = describeMessage(c, m, null);
      items.push(h('li', { class: ['msg', 'theirs', m.urgent && 'is-urgent', ...d.classes].filter(Boolean).join(' ') },
        h('p', { class: ['msg-sender', d.client ? 'msg-sender-client' : hueClass(m.sender_id)] }, d.senderName),
        h('div', { class: 'bubble' },
          d.top || (m.urgent ? h('span', { class: 'tag tag-urgent' }, icon('alert'), 'Urgent') : null),
          h('p', { class: 'msg-body' }, m.body)),
        h('div', { class: 'msg-meta' },
          timeEl(m.created_at, formatTime(m.created_at), 'msg-time'),
          d.received ? h('span', { class: 'msg-received' }, d.received) : null)));
    }
    ol.replaceChildren(...items);
    earlier.hidden = !nextBefore;
    note.hidden = !!nextBefore && messages.length > 0;
    note.textContent = messages.length ? 'This is the start of the thread.' : 'No messages yet.';
  }

  function unavailable(err) {
    if (destroyed || (err && err.handled)) return;
    if (err && err.status !== 404) {
      report(err);
      note.textContent = 'The messages could not be loaded.';
      return;
    }
    const heading = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'This thread is not available');
    fill(main, h('section', { class: 'page-view supervised-thread', 'aria-labelledby': titleId },
      back,
      heading,
      h('p', null, 'You may no longer supervise its clinician, or your practice turned supervisor visibility off.')));
    heading.focus({ preventScroll: true });
  }

  function merge(page) {
    const byId = new Map(messages.map((m) => [m.id, m]));
    for (const m of page.messages || []) byId.set(m.id, m);
    messages = [...byId.values()].sort((a, b) => a.seq - b.seq);
  }

  async function start() {
    try {
      const [c, page] = await Promise.all([
        api.get(`/conversations/${api.seg(id)}`),
        api.get(`/conversations/${api.seg(id)}/messages?limit=50`),
        ensureDirectory().catch(() => {}),
      ]);
      if (destroyed) return;
      conversation = c;
      title.textContent = c.title || 'Client';
      document.title = `${c.title || 'Client'} · Supervision · Quietline`;
      sub.textContent = `Client thread of ${names(c.member_ids)}.`;
      merge(page);
      nextBefore = page.has_more ? page.next_before : null;
      draw();
    } catch (err) {
      unavailable(err);
    }
  }

  earlier.addEventListener('click', () => busy(earlier, async () => {
    try {
      const page = await api.get(`/conversations/${api.seg(id)}/messages?limit=50&before=${nextBefore}`);
      if (destroyed) return;
      merge(page);
      nextBefore = page.has_more ? page.next_before : null;
      draw();
    } catch (err) {
      unavailable(err);
    }
  }, 'Loading…'));

  refresh.addEventListener('click', () => busy(refresh, async () => {
    const last = messages.length ? messages[messages.length - 1].seq : 0;
    try {
      const page = await api.get(`/conversations/${api.seg(id)}/messages?limit=200&after=${last}`);
      if (destroyed) return;
      const before = messages.length;
      merge(page);
      draw();
      const added = messages.length - before;
      notify(added ? `${added} new ${added === 1 ? 'message' : 'messages'}.` : 'No new messages.', { kind: 'info' });
    } catch (err) {
      unavailable(err);
    }
  }, 'Checking…'));

  start();
  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    destroy() {
      destroyed = true;
      for (const m of messages) m.body = '';
      messages = [];
      ol.replaceChildren();
      document.title = 'Quietline';
    },
  };
}

// -- Admin → Supervision -------------------------------------------------------------------------
export async function supervisionAdminPage(body, ctx) {
  const supervisor = h('select');
  const supervisee = h('select');
  const assign = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Assign supervisee'));
  const problem = problemBox();
  const policyNote = h('div');
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Assign a supervisee' },
    labelled('Supervisor', supervisor, { hint: 'Someone with the supervisor role, or an owner.' }).wrap,
    labelled('Supervisee', supervisee, { hint: 'A clinician or a supervisor.' }).wrap,
    problem,
    h('div', { class: 'form-actions' }, assign));
  const list = h('ul', { class: 'plain-list', 'aria-label': 'Supervisions' });
  const listNote = h('p', { class: 'card-note', role: 'status' });
  fill(body,
    h('p', { class: 'page-lead' }, 'A supervisor may read the client threads of their supervisees’ clients while the practice’s supervisor visibility policy is on. They cannot write in them. Every read is recorded in the audit log, and the thread’s members see who read it and when.'),
    policyNote,
    card('Assign a supervisee', form),
    card('Supervisions', listNote, list));

  let people = new Map();

  function option(u) {
    return h('option', { value: u.id }, `${u.display_name} (${u.role.replace('_', ' ')})`);
  }

  function fillSelects() {
    const active = [...people.values()].filter((u) => u.is_active !== false)
      .sort((a, b) => a.display_name.localeCompare(b.display_name));
    const keep = [supervisor.value, supervisee.value];
    supervisor.replaceChildren(...active.filter((u) => SUPERVISOR_ROLES.includes(u.role)).map(option));
    supervisee.replaceChildren(...active.filter((u) => SUPERVISEE_ROLES.includes(u.role)).map(option));
    if (keep[0] && people.has(keep[0])) supervisor.value = keep[0];
    if (keep[1] && people.has(keep[1])) supervisee.value = keep[1];
    assign.disabled = !supervisor.options.length || !supervisee.options.length;
  }

  const nameOf = (id) => (people.get(id) ? people.get(id).display_name : 'Former colleague');

  async function showList() {
    const found = await api.get('/supervisions');
    if (ctx.destroyed) return;
    listNote.textContent = found.length ? '' : 'Nobody supervises anyone yet.';
    list.replaceChildren(...found.map((s) => {
      const who = nameOf(s.supervisor_id);
      const whom = nameOf(s.supervisee_id);
      const end = h('button', { type: 'button', class: 'button subtle small' }, `End supervision of ${whom} by ${who}`);
      end.addEventListener('click', async () => {
        const ok = await confirmStep('End this supervision?', [
          `${who} will no longer be able to read ${whom}’s client threads. What ${who} read stays in the audit log and in the threads’ list of supervision views.`,
        ], 'End supervision');
        if (!ok) return;
        busy(end, async () => {
          try {
            await api.del(`/supervisions/${api.seg(s.id)}`);
            notify(`${who} no longer supervises ${whom}.`, { kind: 'success' });
            await showList();
          } catch (err) {
            report(err);
          }
        });
      });
      return h('li', { class: 'list-row' },
        h('span', { class: 'row-icon', 'aria-hidden': 'true' }, icon('users')),
        h('div', { class: 'row-main' },
          h('p', { class: 'row-title' }, `${who} supervises ${whom}`),
          h('p', { class: 'row-meta' }, `Since ${formatFull(s.created_at)}`),
          s.in_effect ? null : h('p', { class: 'row-meta' }, 'Not in effect: one of them is deactivated or no longer in a role that qualifies.')),
        h('div', { class: 'form-actions' }, end));
    }));
  }

  async function showPolicy() {
    const policy = await api.get('/practice/policy');
    if (ctx.destroyed) return;
    policyNote.replaceChildren(policy.supervisor_visibility
      ? h('div', { class: 'callout callout-success', role: 'status' }, icon('check'),
        h('div', null, h('p', { class: 'callout-title' }, 'Supervisor visibility is on.'),
          h('p', null, 'Supervisors can read their supervisees’ client threads now.')))
      : h('div', { class: 'callout callout-warning', role: 'status' }, icon('shield'),
        h('div', null, h('p', { class: 'callout-title' }, 'Supervisor visibility is off.'),
          h('p', null, 'Supervisions are recorded, but give no access until it is turned on under ',
            h('a', { href: '#/admin/policies' }, 'Policies'), '.'))));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showProblem(problem, '');
    if (!supervisor.value || !supervisee.value) {
      showProblem(problem, 'Choose a supervisor and a supervisee.');
      return;
    }
    busy(assign, async () => {
      try {
        await api.post('/supervisions', { supervisor_id: supervisor.value, supervisee_id: supervisee.value });
        notify(`${nameOf(supervisor.value)} now supervises ${nameOf(supervisee.value)}.`, { kind: 'success' });
        await showList();
      } catch (err) {
        if (!err.handled) showProblem(problem, err.detail);
      }
    }, 'Assigning…');
  });

  // The server decides who may see this page: GET /users is for everyone, /supervisions
  // lists only one's own for non-admins, the policy is readable; POST answers 403.
  const users = await api.get('/users');
  if (ctx.destroyed) return;
  people = new Map(users.map((u) => [u.id, u]));
  fillSelects();
  await Promise.all([showList(), showPolicy()]);
  ctx.offs.push(on('supervision', () => { showList().catch(() => {}); }));
}

