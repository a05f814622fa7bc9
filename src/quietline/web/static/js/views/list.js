// The conversation list: urgent first, then last activity; unread badges; colleagues' status;
// a client-side search by name; "New conversation" to write to a colleague.

import * as api from '../api.js';
import { add, field, fill, fold, formatRelative, h, hueClass, icon, initials, openDialog, report, srOnly, timeEl } from '../dom.js';
import {
  conversationName, emit, inSessionUntil, on, otherMember, sortedConversations, state,
} from '../state.js';
import { statusText } from './status.js';

const ROLE_LABELS = {
  owner: 'Owner', admin: 'Admin', supervisor: 'Supervisor', clinician: 'Clinician', front_desk: 'Front desk',
};
export const roleLabel = (role) => ROLE_LABELS[role] || role;

export function avatarFor(c, extra = '') {
  if (c.kind === 'client') {
    return h('span', { class: ['avatar', 'avatar-client', hueClass(c.client_id || c.id), extra], 'aria-hidden': 'true' },
      initials(conversationName(c)));
  }
  if (c.kind === 'direct') {
    const other = otherMember(c);
    const inSession = other && inSessionUntil(other);
    return h('span', { class: ['avatar', hueClass(other || c.id), extra, inSession && 'in-session'], 'aria-hidden': 'true' },
      initials(conversationName(c)));
  }
  return h('span', { class: ['avatar', 'avatar-group', extra], 'aria-hidden': 'true' }, icon('hash'));
}

export function mountList(container) {
  let query = '';
  let activeId = null;
  const items = new Map(); // conversation id -> {li, link}

  const searchInput = h('input', { type: 'search', class: 'search-input', autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'search' });
  searchInput.addEventListener('input', () => {
    query = fold(searchInput.value.trim());
    render();
  });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && searchInput.value) {
      searchInput.value = '';
      query = '';
      render();
    }
  });
  const searchField = field('Search conversations', searchInput, { className: 'search-field' });
  searchField.wrap.insertBefore(h('span', { class: 'search-icon', 'aria-hidden': 'true' }, icon('search')), searchInput);

  const newButton = h('button', { type: 'button', class: 'button primary small new-conversation' }, icon('plus'), h('span', null, 'New conversation'));
  newButton.addEventListener('click', () => openNewConversation());

  const title = h('h1', { id: 'list-title', class: 'pane-title', tabindex: '-1' }, 'Conversations');
  const ul = h('ul', { class: 'conv-list', 'aria-labelledby': 'list-title' });
  const empty = h('p', { class: 'empty-note', hidden: true });
  const count = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const section = h('section', { class: 'list-view', 'aria-labelledby': 'list-title' },
    h('div', { class: 'list-head' }, title, newButton),
    searchField.wrap,
    count,
    ul,
    empty);
  fill(container, section);

  function itemFor(c) {
    let item = items.get(c.id);
    if (!item) {
      const link = h('a', { class: 'conv', href: `#/c/${c.id}` });
      const li = h('li', { class: 'conv-item' }, link);
      item = { li, link, key: '' };
      items.set(c.id, item);
    }
    // Rebuild the row's inside only when something shown in it changed.
    const name = conversationName(c);
    const other = c.kind === 'direct' ? otherMember(c) : null;
    const status = other ? statusText(other) : '';
    const relative = formatRelative(c.last_activity_at);
    const key = [name, status, relative, c.unread, c.urgent_unread, c.member_ids.length, activeId === c.id].join('|');
    if (key === item.key) return item;
    item.key = key;
    let sub = other
      ? (status || 'Direct message')
      : `${c.member_ids.length} ${c.member_ids.length === 1 ? 'member' : 'members'}`;
    if (c.kind === 'client') sub = 'Client';
    const unread = c.unread || 0;
    fill(item.link,
      avatarFor(c),
      h('span', { class: 'conv-main' },
        h('span', { class: 'conv-top' },
          h('span', { class: ['conv-name', unread && 'has-unread'] }, name),
          timeEl(c.last_activity_at, relative, 'conv-time')),
        h('span', { class: 'conv-bottom' },
          h('span', { class: ['conv-sub', status && 'is-in-session'] }, sub),
          c.urgent_unread ? h('span', { class: 'tag tag-urgent' }, 'Urgent') : null,
          unread ? h('span', { class: 'badge' },
            h('span', { 'aria-hidden': 'true' }, unread > 99 ? '99+' : String(unread)),
            srOnly(`${unread > 99 ? 'more than 99' : unread} unread`)) : null)));
    item.link.classList.toggle('unread', unread > 0);
    item.link.classList.toggle('urgent', !!c.urgent_unread);
    if (activeId === c.id) item.link.setAttribute('aria-current', 'page');
    else item.link.removeAttribute('aria-current');
    return item;
  }

  function render() {
    if (!state.conversationsLoaded) {
      ul.hidden = true;
      empty.hidden = false;
      empty.textContent = 'Loading conversations…';
      return;
    }
    const all = sortedConversations();
    const shown = query ? all.filter((c) => fold(conversationName(c)).includes(query)) : all;
    const wanted = shown.map((c) => itemFor(c).li);
    const keep = new Set(wanted);
    for (const [id, item] of items) {
      if (!state.conversations.has(id)) items.delete(id);
      if (!keep.has(item.li)) item.li.remove();
    }
    const focused = document.activeElement;
    let moved = false;
    wanted.forEach((li, i) => {
      const at = ul.children[i];
      if (at !== li) {
        ul.insertBefore(li, at || null);
        moved = true;
      }
    });
    if (moved && focused && focused !== document.activeElement && focused.isConnected) focused.focus();
    ul.hidden = shown.length === 0;
    empty.hidden = shown.length > 0;
    if (!all.length) empty.textContent = 'No conversations yet. Choose “New conversation” to write to a colleague.';
    else if (!shown.length) empty.textContent = 'No conversation has that name.';
    count.textContent = query ? `${shown.length} ${shown.length === 1 ? 'conversation' : 'conversations'} found` : '';
  }

  const offs = [on('conversations', render), on('users', render), on('tick', render)];
  render();

  return {
    setActive(id) {
      if (activeId === id) return;
      activeId = id;
      render();
    },
    focus() {
      title.focus({ preventScroll: true });
    },
    destroy() {
      offs.forEach((off) => off());
      items.clear();
    },
  };
}

/** A dialog listing colleagues; choosing one opens (or finds) the direct conversation. */
export function openNewConversation() {
  openDialog('New conversation', (body, close) => {
    const people = [...state.users.values()]
      .filter((u) => state.me && u.id !== state.me.id && u.is_active !== false)
      .sort((a, b) => a.display_name.localeCompare(b.display_name));
    const filter = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false' });
    const list = h('ul', { class: 'people-list', 'aria-label': 'Colleagues' });
    const none = h('p', { class: 'empty-note', hidden: true }, 'No colleague has that name.');
    const render = () => {
      const q = fold(filter.value.trim());
      const shown = people.filter((u) => !q || fold(u.display_name).includes(q) || fold(u.email).includes(q));
      list.replaceChildren();
      for (const u of shown) {
        const status = statusText(u.id);
        const button = h('button', { type: 'button', class: 'person' },
          h('span', { class: ['avatar', hueClass(u.id), status && 'in-session'], 'aria-hidden': 'true' }, initials(u.display_name)),
          h('span', { class: 'person-main' },
            h('span', { class: 'person-name' }, u.display_name),
            h('span', { class: ['person-sub', status && 'is-in-session'] }, status || roleLabel(u.role))));
        button.addEventListener('click', async () => {
          button.disabled = true;
          try {
            const c = await api.post('/conversations', { kind: 'direct', user_id: u.id });
            state.conversations.set(c.id, { ...c, urgent_unread: !!c.urgent_unread });
            emit('conversations');
            close();
            location.hash = `#/c/${c.id}`;
          } catch (err) {
            report(err);
            button.disabled = false;
          }
        });
        list.appendChild(h('li', null, button));
      }
      none.hidden = shown.length > 0;
      if (!people.length) none.textContent = 'There is no one else in your practice yet.';
    };
    filter.addEventListener('input', render);
    add(body, [
      h('p', { class: 'dialog-lead' }, 'Choose a colleague to send a direct message.'),
      field('Find a colleague', filter).wrap,
      list,
      none,
    ]);
    render();
    setTimeout(() => filter.focus(), 0);
  }, { className: 'dialog-people' });
}
