// One conversation: its messages (latest 50, "Load earlier" / scroll back), live updates,
// receipts under your own messages, Recall within the practice's window, failed sends with
// Retry, and `seen` reports for messages actually on screen while the page is visible.
// A client's thread (kind 'client') also shows who wrote what (the client, a colleague, an
// automatic reply), staff notes, and how each message reached the client: client-thread.js.

import * as api from '../api.js';
import {
  dayDiff, fill, formatDay, formatTime, formatWhen, h, icon, isDesktop, notify, openDialog,
  report, srOnly, timeEl, uid, hueClass, initials,
} from '../dom.js';
import * as socket from '../socket.js';
import {
  conversationName, loadConversation, loadHistory, loadReceipts, markSeenLocally, messagesOf, on,
  otherMember, pendingOf, policy, removeMessages, state, thread, userName,
} from '../state.js';
import { discardPending, mountCompose, sendPending } from './compose.js';
import {
  clientDeliveriesSoon, deliveryNodes, describeMessage, isClientThread, loadClientDeliveries, refusalSentence,
} from './client-thread.js';
import { receiptKey, receiptNode } from './receipts.js';
import { supervisionNotice } from './supervision-notice.js';
import { avatarFor, roleLabel } from './list.js';
import { statusText } from './status.js';

/** Tell the activity tracker that the app (not the person) scrolled. */
function programmaticScroll() {
  window.dispatchEvent(new Event('quietline:programmatic-scroll'));
}

const dayKey = (value) => {
  const d = new Date(value);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
};

/** Desktop, nothing chosen yet. (On phones this pane is hidden on the list route.) */
export function mountThreadPlaceholder(container) {
  fill(container,
    h('div', { class: 'thread-placeholder' },
      h('div', { class: 'placeholder-art', 'aria-hidden': 'true' }, icon('chat')),
      h('p', { class: 'placeholder-title' }, 'Choose a conversation'),
      h('p', { class: 'placeholder-text' }, 'Pick one from the list, or start a new one with a colleague.')));
  return { destroy() {} };
}

export function mountThread(container, id) {
  const offs = [];
  let destroyed = false;
  let compose = null;
  let built = false;
  let initialScrollDone = false;
  let loadingMore = false;
  let seenTimer = 0;
  const nodes = new Map(); // message id or "p:<key>" -> {li, key}
  const dayNodes = new Map(); // day -> li
  const visibleSeqs = new Set();

  const titleId = uid('thread');
  const back = h('a', { href: '#/', class: 'back-link' }, icon('back'), h('span', null, 'Back'));
  const avatarSlot = h('span', { class: 'thread-avatar' });
  const title = h('h1', { id: titleId, class: 'thread-title', tabindex: '-1' });
  const sub = h('div', { class: 'thread-sub' });
  const head = h('div', { class: 'thread-head' }, back, avatarSlot, h('div', { class: 'thread-heading' }, title, sub));

  const loadEarlier = h('button', { type: 'button', class: 'button subtle small load-earlier', hidden: true },
    h('span', { class: 'btn-label' }, 'Load earlier messages'));
  const topNote = h('p', { class: 'log-note', hidden: true });
  const ol = h('ol', { class: 'messages' });
  const log = h('div', { class: 'log', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' },
    h('div', { class: 'log-top' }, loadEarlier, topNote), ol);
  const jump = h('button', { type: 'button', class: 'jump', hidden: true }, icon('down'), h('span', null, 'New messages'));
  const composeSlot = h('div', { class: 'compose-slot' });
  // Emergency access: members (and the admin reading) see who can read, until when and why.
  const emergencyBanner = h('div', { class: 'emergency-banner', role: 'status', hidden: true });
  // Supervision (client threads): members see who read the thread as supervisor, and when.
  const supervision = supervisionNotice(id);
  const section = h('section', { class: 'thread', 'aria-labelledby': titleId },
    head, emergencyBanner, supervision.el, h('div', { class: 'log-wrap' }, log, jump), composeSlot);
  fill(container, section);

  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 96;
  const scrollToBottom = () => {
    programmaticScroll();
    log.scrollTop = log.scrollHeight;
    jump.hidden = true;
  };
  jump.addEventListener('click', () => {
    scrollToBottom();
    log.focus({ preventScroll: true });
  });
  log.addEventListener('scroll', () => {
    if (!jump.hidden && nearBottom()) jump.hidden = true;
  }, { passive: true });

  // -- seen: the newest message actually on screen, while the page is visible --------------
  const seenObserver = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const seq = Number(e.target.dataset.seq);
      const rootHeight = e.rootBounds ? e.rootBounds.height : 0;
      const shown = e.isIntersecting && (e.intersectionRatio >= 0.5 || e.intersectionRect.height >= rootHeight * 0.4);
      if (shown) visibleSeqs.add(seq);
      else visibleSeqs.delete(seq);
    }
    maybeSeen();
  }, { root: log, threshold: [0, 0.5, 1] });

  function maybeSeen() {
    if (destroyed || document.visibilityState !== 'visible' || !visibleSeqs.size) return;
    const top = Math.max(...visibleSeqs);
    const already = state.seenSent.get(id) || 0;
    if (top <= already) return;
    const me = state.me ? state.me.id : null;
    const news = messagesOf(id).some((m) => m.seq > already && m.seq <= top && m.sender_id !== me);
    if (!news) return;
    clearTimeout(seenTimer);
    seenTimer = setTimeout(() => reportSeen(top), 120);
  }

  async function reportSeen(seq) {
    if (destroyed || document.visibilityState !== 'visible' || state.openConversation !== id) return;
    if (seq <= (state.seenSent.get(id) || 0)) return;
    markSeenLocally(id, seq);
    if (!socket.seen(id, seq)) {
      try {
        await api.post(`/conversations/${api.seg(id)}/receipts`, { kind: 'seen', up_to_seq: seq });
      } catch {
        /* a 401/423 is handled globally; anything else: the next view reports again */
      }
    }
  }
  const onVisibility = () => {
    if (document.visibilityState === 'visible') maybeSeen();
  };
  document.addEventListener('visibilitychange', onVisibility);

  // -- earlier messages ----------------------------------------------------------------------
  async function loadMore() {
    const t = thread(id);
    if (!t || !t.hasMore || loadingMore || destroyed) return;
    loadingMore = true;
    loadEarlier.disabled = true;
    log.setAttribute('aria-busy', 'true');
    loadEarlier.querySelector('.btn-label').textContent = 'Loading earlier messages…';
    try {
      await loadHistory(id, { before: t.nextBefore });
      loadReceiptsIfNeeded();
    } catch (err) {
      report(err);
    } finally {
      loadingMore = false;
      if (!destroyed) {
        loadEarlier.disabled = false;
        log.removeAttribute('aria-busy');
        loadEarlier.querySelector('.btn-label').textContent = 'Load earlier messages';
      }
    }
  }
  loadEarlier.addEventListener('click', () => loadMore());
  const topObserver = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && initialScrollDone && log.scrollTop < 200) loadMore();
  }, { root: log, rootMargin: '120px 0px 0px 0px' });
  topObserver.observe(loadEarlier);

  function loadReceiptsIfNeeded() {
    const me = state.me ? state.me.id : null;
    const mine = messagesOf(id).filter((m) => m.sender_id === me);
    if (!mine.length) return;
    const since = mine[0].seq;
    const r = state.receipts.get(id);
    if (r && r.sinceSeq <= since) return;
    loadReceipts(id, since).catch(() => {
      /* no receipts to show: messages say "Sent" */
    });
  }

  // -- rendering -----------------------------------------------------------------------------
  function renderHeader() {
    const c = state.conversations.get(id);
    if (!c) return;
    title.textContent = conversationName(c);
    avatarSlot.replaceChildren(avatarFor(c, 'avatar-thread'));
    if (c.kind === 'direct') {
      const other = otherMember(c);
      const status = other ? statusText(other) : '';
      fill(sub, h('span', { class: status ? 'is-in-session' : null }, status || 'Direct message'));
    } else if (isClientThread(c)) {
      const n = c.member_ids.length;
      const members = h('button', { type: 'button', class: 'link-button', 'aria-haspopup': 'dialog' }, `${n} staff`);
      members.addEventListener('click', () => openMembers(c));
      fill(sub, h('span', { class: 'thread-sub-parts' },
        c.client_id ? h('a', { href: `#/clients/${c.client_id}`, class: 'link-button' }, 'Client record') : 'Client',
        h('span', { 'aria-hidden': 'true' }, '·'),
        members));
    } else {
      const n = c.member_ids.length;
      const members = h('button', { type: 'button', class: 'link-button', 'aria-haspopup': 'dialog' }, `${n} ${n === 1 ? 'member' : 'members'}`);
      members.addEventListener('click', () => openMembers(c));
      fill(sub, members);
    }
  }

  function dayNode(key, value) {
    let li = dayNodes.get(key);
    if (!li) {
      li = h('li', { class: 'day-divider' }, h('span', null, formatDay(value)));
      li.dataset.day = key;
      dayNodes.set(key, li);
    }
    const label = formatDay(value);
    if (li.firstChild.textContent !== label) li.firstChild.textContent = label;
    return li;
  }

  function messageNode(c, m, cont) {
    const me = state.me ? state.me.id : null;
    const client = isClientThread(c) ? describeMessage(c, m, me) : null;
    const mine = client ? client.mine : m.sender_id === me;
    const windowMs = Number(policy().recall_window_minutes || 0) * 60000;
    const canRecall = mine && windowMs > 0 && Date.now() - new Date(m.created_at).getTime() < windowMs;
    // Staff receipts under my messages (in a client thread, only when other staff are in it).
    const staffReceipt = mine && !(client && c.member_ids.length <= 1);
    const rkey = staffReceipt ? receiptKey(c, m) : '';
    const expiry = m.expires_at ? formatWhen(m.expires_at) : '';
    const key = [cont, canRecall, rkey, expiry, dayDiff(m.created_at), c.kind, userName(m.sender_id),
      client ? `${client.key}|${client.senderName}` : ''].join('|');
    let entry = nodes.get(m.id);
    if (entry && entry.key === key) return entry.li;
    if (!entry) {
      const li = h('li', { class: 'msg' });
      li.dataset.seq = String(m.seq);
      entry = { li, key: '' };
      nodes.set(m.id, entry);
      seenObserver.observe(li);
    }
    entry.key = key;
    const li = entry.li;
    li.className = ['msg', mine ? 'mine' : 'theirs', m.urgent && 'is-urgent', cont && 'cont',
      ...(client ? client.classes : [])].filter(Boolean).join(' ');
    const senderName = client ? client.senderName : mine ? 'You' : userName(m.sender_id);
    const showSender = !mine && c.kind !== 'direct' && !cont;
    const meta = h('div', { class: 'msg-meta' },
      timeEl(m.created_at, formatTime(m.created_at), 'msg-time'),
      client && client.received ? h('span', { class: 'msg-received' }, client.received) : null,
      expiry ? h('span', { class: 'msg-expiry', title: `Disappears ${expiry}` }, icon('clock'), `Expires ${expiry}`) : null,
      staffReceipt ? receiptNode(c, m) : null,
      client ? deliveryNodes(client.lines) : null);
    if (canRecall) {
      const recall = h('button', { type: 'button', class: 'link-button recall' }, 'Recall');
      recall.addEventListener('click', () => recallMessage(m, recall, li));
      meta.appendChild(recall);
    }
    const top = client && client.top;
    fill(li,
      showSender
        ? h('p', { class: ['msg-sender', client && client.client ? 'msg-sender-client' : hueClass(m.sender_id)] }, senderName)
        : srOnly(`${senderName}:`),
      h('div', { class: 'bubble' },
        top || (m.urgent ? h('span', { class: 'tag tag-urgent' }, icon('alert'), 'Urgent') : null),
        h('p', { class: 'msg-body' }, m.body)),
      meta);
    return li;
  }

  function pendingNode(p) {
    const nodeKey = `p:${p.key}`;
    const key = `${p.status}|${p.error}|${!!p.clinical}`;
    let entry = nodes.get(nodeKey);
    if (entry && entry.key === key) return entry.li;
    if (!entry) {
      entry = { li: h('li', { class: 'msg mine pending' }), key: '' };
      nodes.set(nodeKey, entry);
    }
    entry.key = key;
    const li = entry.li;
    const failed = p.status === 'failed';
    const note = !!(p.client && p.client.internal);
    li.className = ['msg', 'mine', 'pending', failed && 'failed', p.urgent && 'is-urgent', note && 'is-note'].filter(Boolean).join(' ');
    const meta = h('div', { class: 'msg-meta' });
    if (failed && p.clinical) {
      // The clinical-content guard stopped it: the secure page, or (warn only) "Send anyway".
      const secure = h('button', { type: 'button', class: 'button small secondary' }, icon('shield'), h('span', null, 'Send through secure page'));
      secure.addEventListener('click', () => {
        p.client = { ...p.client, delivery: 'secure_page', acknowledge_clinical: false };
        sendPending(id, p); // the refused send stored nothing: the same key is free
      });
      const anyway = p.clinical.options.includes('acknowledge_clinical')
        ? h('button', { type: 'button', class: 'button small danger-outline' }, h('span', null, 'Send anyway'))
        : null;
      anyway?.addEventListener('click', () => {
        p.client = { ...p.client, acknowledge_clinical: true };
        sendPending(id, p);
      });
      const discard = h('button', { type: 'button', class: 'link-button' }, 'Discard');
      discard.addEventListener('click', () => {
        discardPending(id, p.key);
        compose?.focus();
      });
      meta.append(h('p', { class: 'msg-failed guard-refused', role: 'alert' }, icon('alert'),
        h('span', null, `Not sent. ${refusalSentence(p.error)}`)), secure, anyway || '', discard);
    } else if (failed) {
      const retry = h('button', { type: 'button', class: 'button small danger-outline' }, icon('retry'), h('span', null, 'Retry'));
      retry.addEventListener('click', () => {
        sendPending(id, p); // the same idempotency key: never sent twice
      });
      const discard = h('button', { type: 'button', class: 'link-button' }, 'Discard');
      discard.addEventListener('click', () => {
        discardPending(id, p.key);
        compose?.focus();
      });
      meta.append(h('span', { class: 'msg-failed' }, icon('alert'), `Not sent. ${p.error}`), retry, discard);
    } else {
      meta.append(h('span', { class: 'msg-sending' }, 'Sending…'));
    }
    fill(li,
      srOnly('You:'),
      h('div', { class: 'bubble' },
        p.urgent ? h('span', { class: 'tag tag-urgent' }, icon('alert'), 'Urgent') : null,
        note ? h('p', { class: 'note-flag' }, icon('lock'), h('span', null, 'Staff note — not sent to the client')) : null,
        h('p', { class: 'msg-body' }, p.body)),
      meta);
    return li;
  }

  async function recallMessage(m, button, li) {
    button.disabled = true;
    try {
      await api.del(`/conversations/${api.seg(id)}/messages/${api.seg(m.id)}`);
      const hadFocus = li.contains(document.activeElement);
      removeMessages(id, [m.id]);
      if (hadFocus) log.focus({ preventScroll: true });
      notify('Message recalled. It is gone for everyone.', { kind: 'success' });
    } catch (err) {
      report(err);
      if (button.isConnected) button.disabled = false;
    }
  }

  function render(detail) {
    if (destroyed || !built) return;
    const c = state.conversations.get(id);
    if (!c) return;
    const t = thread(id);
    const type = detail && detail.type;
    const wasNear = nearBottom();
    const prevHeight = log.scrollHeight;
    const prevTop = log.scrollTop;
    const me = state.me ? state.me.id : null;

    const wanted = [];
    let lastDay = null;
    let prev = null;
    const msgs = messagesOf(id);
    for (const m of msgs) {
      const day = dayKey(m.created_at);
      if (day !== lastDay) {
        wanted.push(dayNode(day, m.created_at));
        lastDay = day;
        prev = null;
      }
      const cont = !!prev && prev.sender_id === m.sender_id && !m.urgent
        && (prev.channel === 'auto') === (m.channel === 'auto')
        && new Date(m.created_at) - new Date(prev.created_at) < 5 * 60000;
      wanted.push(messageNode(c, m, cont));
      prev = m;
    }
    const pending = pendingOf(id);
    if (pending.length) {
      const today = dayKey(Date.now());
      if (lastDay !== today) wanted.push(dayNode(today, Date.now()));
      for (const p of pending) wanted.push(pendingNode(p));
    }

    // Out with what is gone, then insert in order (existing rows never move, focus stays).
    const keep = new Set(wanted);
    for (const [key, entry] of nodes) {
      if (!keep.has(entry.li)) {
        seenObserver.unobserve(entry.li);
        entry.li.remove();
        nodes.delete(key);
        if (!key.startsWith('p:')) visibleSeqs.delete(Number(entry.li.dataset.seq));
      }
    }
    for (const [key, li] of dayNodes) {
      if (!keep.has(li)) {
        li.remove();
        dayNodes.delete(key);
      }
    }
    wanted.forEach((li, i) => {
      const at = ol.children[i];
      if (at !== li) ol.insertBefore(li, at || null);
    });

    const loaded = !!t && t.loaded;
    loadEarlier.hidden = !(loaded && t.hasMore);
    topNote.hidden = !loaded || (t.hasMore && msgs.length > 0);
    if (loaded && !msgs.length && !pending.length) topNote.textContent = 'No messages yet. Write the first one below.';
    else if (loaded && !t.hasMore) topNote.textContent = 'This is the start of the conversation.';
    else if (!loaded) {
      topNote.hidden = false;
      topNote.textContent = 'Loading messages…';
    }

    if (type === 'prepend') {
      programmaticScroll();
      log.scrollTop = prevTop + (log.scrollHeight - prevHeight);
    } else if (!initialScrollDone && loaded) {
      scrollToBottom();
      initialScrollDone = true;
    } else if (type === 'pending' || wasNear) {
      if (log.scrollHeight !== prevHeight || type === 'pending') scrollToBottom();
    } else if (type === 'add') {
      const m = t && t.messages.get(detail.id);
      if (m && m.sender_id !== me) jump.hidden = false;
    }
  }

  function openMembers(c) {
    openDialog('Members', (body) => {
      const ids = [...c.member_ids].sort((a, b) => userName(a).localeCompare(userName(b)));
      const list = h('ul', { class: 'seen-list' });
      for (const uid2 of ids) {
        const u = state.users.get(uid2);
        const status = statusText(uid2);
        list.appendChild(h('li', { class: 'seen-row' },
          h('span', { class: ['avatar', 'avatar-small', hueClass(uid2), status && 'in-session'], 'aria-hidden': 'true' }, initials(userName(uid2))),
          h('span', { class: 'seen-name' }, state.me && uid2 === state.me.id ? `${userName(uid2)} (you)` : userName(uid2)),
          h('span', { class: ['seen-when', status && 'is-in-session'] }, status || (u ? roleLabel(u.role) : ''))));
      }
      body.appendChild(list);
    });
  }

  function showUnavailable() {
    const heading = h('h1', { id: titleId, class: 'thread-title', tabindex: '-1' }, 'This conversation is not available');
    fill(container,
      h('section', { class: 'thread thread-missing', 'aria-labelledby': titleId },
        h('div', { class: 'thread-head' }, back),
        h('div', { class: 'missing-body' },
          heading,
          h('p', null, 'It may have been removed, or you are no longer a member.'),
          h('a', { href: '#/', class: 'button secondary' }, 'Back to the list'))));
    if (container.contains(document.activeElement) || document.activeElement === document.body) heading.focus();
  }

  async function start() {
    if (destroyed) return;
    let c = state.conversations.get(id);
    if (!c) {
      if (!state.conversationsLoaded) {
        title.textContent = 'Loading…';
        return; // the list's arrival calls start() again
      }
      try {
        c = await loadConversation(id);
      } catch (err) {
        if (!err.handled && !destroyed) {
          if (err.status === 404 || err.status === 403 || err.status === 422) showUnavailable();
          else report(err);
        }
        return;
      }
      if (!c || destroyed) return;
    }
    if (built) return;
    built = true;
    renderHeader();
    const member = !state.me || c.member_ids.includes(state.me.id);
    if (member && isClientThread(c)) supervision.start();
    if (member) {
      compose = mountCompose(composeSlot, id, { onSend: () => scrollToBottom(), client: isClientThread(c) });
      if (pendingFocus) compose.focus();
    } else {
      // Reading under emergency access: the server refuses sends, so there is no send box.
      composeSlot.replaceChildren(h('p', { class: 'card-lead', role: 'note' },
        'You are reading this conversation under emergency access. Only its members can write in it.'));
    }
    const t = thread(id);
    if (!t || !t.loaded) {
      render();
      try {
        await loadHistory(id);
      } catch (err) {
        if (!destroyed && !err.handled) {
          report(err);
          topNote.hidden = false;
          topNote.textContent = 'The messages could not be loaded.';
        }
        return;
      }
    } else {
      render();
    }
    loadReceiptsIfNeeded();
    if (isClientThread(c)) loadClientDeliveries(id).catch(() => { /* no delivery lines */ });
  }

  offs.push(on(`thread:${id}`, render));
  offs.push(on(`receipts:${id}`, () => render()));
  offs.push(on(`sent:${id}`, () => {
    loadReceiptsIfNeeded();
    if (isClientThread(state.conversations.get(id))) clientDeliveriesSoon(id, 50);
  }));
  offs.push(on(`client-deliveries:${id}`, () => render()));
  offs.push(on('users', () => { renderHeader(); render(); }));
  offs.push(on('policy', () => render()));
  offs.push(on('tick', () => { renderHeader(); render(); }));
  offs.push(on('conversations', () => {
    if (!built) start().catch(report);
    else renderHeader();
  }));
  offs.push(on(`conversation:${id}`, () => {
    if (built && !state.conversations.has(id)) {
      destroyed = true;
      showUnavailable();
      return;
    }
    renderHeader();
    render();
  }));

  // -- emergency access banner --------------------------------------------------------------
  let grants = [];
  function renderEmergency() {
    const now = Date.now();
    const live = grants.filter((g) => g.live && !g.closed_at && new Date(g.expires_at).getTime() > now);
    emergencyBanner.hidden = !live.length;
    if (!live.length) {
      emergencyBanner.replaceChildren();
      return;
    }
    emergencyBanner.replaceChildren(icon('alert'), h('div', null, live.map((g) => {
      const mine = state.me && g.user_id === state.me.id;
      const who = mine ? 'You are reading this conversation' : `${userName(g.user_id)} can read this conversation`;
      return h('p', null,
        h('strong', null, 'Emergency access: '),
        `${who} until ${formatTime(g.expires_at)}.`,
        g.reason ? ` Reason: ${g.reason}` : '');
    })));
  }
  let grantsRequest = 0;
  async function loadGrants() {
    const n = ++grantsRequest;
    try {
      const list = await api.get(`/conversations/${api.seg(id)}/emergency-access`);
      if (destroyed || n !== grantsRequest) return;
      grants = Array.isArray(list) ? list : [];
      renderEmergency();
    } catch {
      /* not shown: the thread itself reports what matters */
    }
  }
  offs.push(on(`emergency:${id}`, (f) => {
    if (f && f.type === 'emergency_access.opened') {
      // Shown at once from the event (it never carries the reason); the list adds the reason.
      grants = [...grants.filter((g) => g.id !== f.grant_id),
        { id: f.grant_id, user_id: f.opened_by, expires_at: f.expires_at, live: true, closed_at: null, reason: null }];
      renderEmergency();
    }
    loadGrants();
  }));
  offs.push(on('tick', renderEmergency));
  loadGrants();

  let pendingFocus = false;
  start().catch(report);

  return {
    focus() {
      if (isDesktop()) {
        if (compose) compose.focus();
        else pendingFocus = true;
      } else {
        title.focus({ preventScroll: true });
      }
    },
    destroy() {
      destroyed = true;
      clearTimeout(seenTimer);
      seenObserver.disconnect();
      topObserver.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      compose?.destroy();
      supervision.destroy();
      offs.forEach((off) => off());
      nodes.clear();
      dayNodes.clear();
    },
  };
}
