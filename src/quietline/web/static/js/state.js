// In-memory state: the only place content (messages, names, titles) lives in the app.
// Nothing here is ever written to localStorage, sessionStorage, IndexedDB or Cache Storage.
// reset() drops every reference; `epoch` lets late answers of calls made before a reset be
// thrown away instead of bringing content back.

import * as api from './api.js';

function fresh(epoch) {
  return {
    epoch,
    session: null, // {session_id, practice_id, practice_name, restricted, policy}
    me: null, // the signed-in user (UserOut)
    locked: false,
    users: new Map(), // user id -> UserOut (with in_session_until)
    conversations: new Map(), // id -> ConversationOut
    conversationsLoaded: false,
    threads: new Map(), // conversation id -> {messages: Map(id -> MessageOut), loaded, hasMore, nextBefore}
    pending: new Map(), // conversation id -> Map(idempotency key -> pending send)
    receipts: new Map(), // conversation id -> {sinceSeq, members: Map(user -> {delivered_seq, seen_seq}), marks: []}
    seenSent: new Map(), // conversation id -> highest seq reported seen
    drafts: new Map(), // conversation id -> text being written
    quickReplies: [],
    // Client threads: how each staff message reached the client (client-deliveries), how far
    // the client has read on the secure page, and the practice's client-messaging settings.
    clientDeliveries: new Map(), // conversation id -> Map(message id -> newest delivery row)
    clientSeen: new Map(), // conversation id -> {up_to_seq, at}
    clientMessaging: null, // GET /practice/client-messaging (the practice's words and hours)
    openConversation: null,
    online: false, // the WebSocket is connected and ready
  };
}

export const state = fresh(0);
const listeners = new Map(); // topic -> Set(fn)

/** Subscribe to a topic; returns the unsubscribe function. */
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic)?.delete(fn);
}

export function emit(topic, detail) {
  for (const fn of [...(listeners.get(topic) || [])]) {
    try {
      fn(detail);
    } catch (err) {
      console.error(err); // one broken view must not stop the others
    }
  }
}

/** Forget everything: content, people, the session. Views are gone too (their DOM is). */
export function reset() {
  for (const thread of state.threads.values()) {
    for (const m of thread.messages.values()) m.body = '';
    thread.messages.clear();
  }
  for (const map of state.pending.values()) {
    for (const p of map.values()) p.body = '';
    map.clear();
  }
  for (const value of Object.values(state)) {
    if (value instanceof Map) value.clear();
  }
  state.quickReplies.length = 0;
  receiptRequests.clear();
  receiptsArriving.clear();
  listeners.clear();
  Object.assign(state, fresh(state.epoch + 1));
}

// -- session ---------------------------------------------------------------------------------
export function setSession(me) {
  // me: {user, session_id, practice_id, practice_name, restricted, policy}
  state.me = me.user;
  state.session = {
    session_id: me.session_id,
    practice_id: me.practice_id,
    practice_name: me.practice_name,
    restricted: !!me.restricted,
    policy: me.policy || {},
  };
  if (!state.users.has(me.user.id)) state.users.set(me.user.id, { ...me.user });
  emit('me');
}

export const policy = () => (state.session && state.session.policy) || {};
export const isAdmin = () => !!state.me && (state.me.role === 'owner' || state.me.role === 'admin');
/** Owners, admins and the front desk see every client and every appointment. */
export const seesAllClients = () => !!state.me && ['owner', 'admin', 'front_desk'].includes(state.me.role);

// -- people ----------------------------------------------------------------------------------
export async function loadDirectory() {
  const epoch = state.epoch;
  const users = await api.get('/users');
  if (epoch !== state.epoch) return;
  state.users.clear();
  for (const u of users) state.users.set(u.id, u);
  emit('users');
  emit('conversations');
}

export function userName(id) {
  const u = state.users.get(id);
  return u ? u.display_name : 'Former colleague';
}

/** The person's in-session end as a Date, or null when not in session (or it has passed). */
export function inSessionUntil(userId) {
  const u = state.users.get(userId);
  if (!u || !u.in_session_until) return null;
  const until = new Date(u.in_session_until);
  return until.getTime() > Date.now() ? until : null;
}

export function setStatus(userId, until) {
  const u = state.users.get(userId);
  if (u) u.in_session_until = until || null;
  emit('users');
  emit('conversations');
}

// -- conversations -------------------------------------------------------------------------
export async function loadConversations() {
  const epoch = state.epoch;
  const list = await api.get('/conversations');
  if (epoch !== state.epoch) return;
  const seen = new Set();
  for (const c of list) {
    seen.add(c.id);
    state.conversations.set(c.id, { ...c, urgent_unread: !!c.urgent_unread });
  }
  for (const id of [...state.conversations.keys()]) {
    if (!seen.has(id)) forgetConversation(id);
  }
  state.conversationsLoaded = true;
  emit('conversations');
}

let refreshTimer = 0;
/** Reload the list soon (debounced): exact unread counts after recalls, expiry, reconnects. */
export function refreshConversationsSoon(delay = 400) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadConversations().catch(() => {});
  }, delay);
}

export async function loadConversation(id) {
  const epoch = state.epoch;
  const c = await api.get(`/conversations/${api.seg(id)}`);
  if (epoch !== state.epoch) return null;
  state.conversations.set(c.id, { ...c, urgent_unread: !!c.urgent_unread });
  emit('conversations');
  emit(`conversation:${c.id}`);
  return c;
}

export function forgetConversation(id) {
  state.conversations.delete(id);
  const thread = state.threads.get(id);
  if (thread) {
    for (const m of thread.messages.values()) m.body = '';
    state.threads.delete(id);
  }
  state.pending.delete(id);
  state.receipts.delete(id);
  state.drafts.delete(id);
  state.seenSent.delete(id);
  emit('conversations');
  emit(`conversation:${id}`);
}

/** Direct conversations are named by the other person; channels by their title. */
export function conversationName(c) {
  if (!c) return 'Conversation';
  if (c.kind === 'direct') {
    const other = otherMember(c);
    if (other) return userName(other);
    return 'Just you';
  }
  return c.title || 'Untitled channel';
}

export function otherMember(c) {
  if (!c || !state.me) return null;
  return (c.member_ids || []).find((id) => id !== state.me.id) || null;
}

/** Urgent unread first, then the most recent activity (the server's order). */
export function sortedConversations() {
  return [...state.conversations.values()].sort((a, b) => {
    if (!!b.urgent_unread !== !!a.urgent_unread) return b.urgent_unread ? 1 : -1;
    return new Date(b.last_activity_at).getTime() - new Date(a.last_activity_at).getTime();
  });
}

export function totalUnread() {
  let n = 0;
  for (const c of state.conversations.values()) n += c.unread || 0;
  return n;
}

// -- messages --------------------------------------------------------------------------------
function threadOf(id) {
  let t = state.threads.get(id);
  if (!t) {
    t = { messages: new Map(), loaded: false, loading: null, hasMore: false, nextBefore: null };
    state.threads.set(id, t);
  }
  return t;
}

export function thread(id) {
  return state.threads.get(id) || null;
}

/** Messages of a conversation, oldest first. */
export function messagesOf(id) {
  const t = state.threads.get(id);
  if (!t) return [];
  return [...t.messages.values()].sort((a, b) => a.seq - b.seq);
}

export function highestSeq(id) {
  const c = state.conversations.get(id);
  let seq = c ? c.last_seq || 0 : 0;
  const t = state.threads.get(id);
  if (t) for (const m of t.messages.values()) if (m.seq > seq) seq = m.seq;
  return seq;
}

/** The latest 50 (or the page before `before`). Merges with anything that arrived meanwhile. */
export async function loadHistory(id, { before } = {}) {
  const epoch = state.epoch;
  const t = threadOf(id);
  const query = new URLSearchParams({ limit: '50' });
  if (before) query.set('before', String(before));
  const page = await api.get(`/conversations/${api.seg(id)}/messages?${query}`);
  if (epoch !== state.epoch || state.threads.get(id) !== t) return null;
  const now = Date.now();
  for (const m of page.messages) {
    if (!expired(m, now)) t.messages.set(m.id, m);
  }
  // A refresh of a thread already in memory keeps its paging position further back.
  if (before || !t.loaded) {
    t.hasMore = page.has_more;
    t.nextBefore = page.next_before;
  }
  if (!before) t.loaded = true;
  const c = state.conversations.get(id);
  if (c) {
    const top = page.messages.length ? page.messages[page.messages.length - 1].seq : 0;
    if (top > (c.last_seq || 0)) c.last_seq = top;
  }
  emit(`thread:${id}`, { type: before ? 'prepend' : 'load' });
  return page;
}

function expired(m, now = Date.now()) {
  return !!m.expires_at && new Date(m.expires_at).getTime() <= now;
}

/**
 * A message from the server (live, backlog or a send's answer). Returns true when it is new.
 * Keeps it only if the thread is in memory; counts unread for messages from others.
 */
export function addMessage(m, { countUnread = true } = {}) {
  const c = state.conversations.get(m.conversation_id);
  const t = state.threads.get(m.conversation_id);
  let isNew = true;
  if (t) {
    isNew = !t.messages.has(m.id);
    if (!expired(m)) t.messages.set(m.id, m);
    // A message of ours that arrived live while its send was still waiting for its answer:
    // the pending copy is that message.
    if (state.me && m.sender_id === state.me.id) settlePendingByBody(m);
  }
  if (c && isNew) {
    if (m.seq > (c.last_seq || 0)) {
      c.last_seq = m.seq;
      c.last_activity_at = m.created_at;
    }
    const fromOther = !state.me || m.sender_id !== state.me.id;
    const seenUpTo = state.seenSent.get(m.conversation_id) || 0;
    if (fromOther && countUnread && m.seq > seenUpTo && !isShownNow(m.conversation_id)) {
      c.unread = Math.min((c.unread || 0) + 1, 100);
      if (m.urgent) c.urgent_unread = true;
    }
  }
  emit(`thread:${m.conversation_id}`, { type: 'add', id: m.id });
  emit('conversations');
  return isNew;
}

/** The open conversation, on screen in a visible document: its new messages are read now. */
export function isShownNow(conversationId) {
  return state.openConversation === conversationId && document.visibilityState === 'visible';
}

export function removeMessages(conversationId, ids) {
  const t = state.threads.get(conversationId);
  let removed = 0;
  if (t) {
    for (const id of ids) {
      const m = t.messages.get(id);
      if (m) {
        m.body = '';
        t.messages.delete(id);
        removed += 1;
      }
    }
  }
  if (removed) emit(`thread:${conversationId}`, { type: 'remove', ids });
  return removed;
}

/** Drop messages whose time is up (the server also sends message.expired after its purge). */
export function sweepExpired() {
  const now = Date.now();
  for (const [cid, t] of state.threads) {
    const gone = [...t.messages.values()].filter((m) => expired(m, now)).map((m) => m.id);
    if (gone.length) removeMessages(cid, gone);
  }
}

/** After the person saw messages up to `seq` in this conversation. */
export function markSeenLocally(conversationId, seq) {
  const prev = state.seenSent.get(conversationId) || 0;
  if (seq > prev) state.seenSent.set(conversationId, seq);
  const c = state.conversations.get(conversationId);
  if (!c) return;
  const t = state.threads.get(conversationId);
  let unread = 0;
  let urgent = false;
  if (seq < (c.last_seq || 0) && t) {
    for (const m of t.messages.values()) {
      if (m.seq > seq && (!state.me || m.sender_id !== state.me.id)) {
        unread += 1;
        if (m.urgent) urgent = true;
      }
    }
  }
  if (c.unread !== unread || c.urgent_unread !== urgent) {
    c.unread = unread;
    c.urgent_unread = urgent;
    emit('conversations');
  }
}

// -- sending -------------------------------------------------------------------------------
export function pendingOf(conversationId) {
  const map = state.pending.get(conversationId);
  return map ? [...map.values()].sort((a, b) => a.created - b.created) : [];
}

export function putPending(conversationId, entry) {
  if (!state.pending.has(conversationId)) state.pending.set(conversationId, new Map());
  state.pending.get(conversationId).set(entry.key, entry);
  emit(`thread:${conversationId}`, { type: 'pending', key: entry.key });
}

export function dropPending(conversationId, key) {
  const map = state.pending.get(conversationId);
  if (map && map.delete(key)) emit(`thread:${conversationId}`, { type: 'pending', key });
}

function settlePendingByBody(m) {
  const map = state.pending.get(m.conversation_id);
  if (!map) return;
  for (const p of map.values()) {
    if (p.status === 'sending' && p.body === m.body && !!p.urgent === !!m.urgent) {
      p.messageId = m.id;
      map.delete(p.key);
      return;
    }
  }
}

// -- receipts ------------------------------------------------------------------------------
// Receipt loads: only the latest request per conversation counts, and events that arrive
// while one is in flight are applied again on top of its answer (nothing is lost or undone).
const receiptRequests = new Map(); // conversation id -> number of the latest request
const receiptsArriving = new Map(); // conversation id -> events received during that request

export async function loadReceipts(conversationId, sinceSeq) {
  const epoch = state.epoch;
  const since = Math.max(1, sinceSeq || 1);
  const n = (receiptRequests.get(conversationId) || 0) + 1;
  receiptRequests.set(conversationId, n);
  if (!receiptsArriving.has(conversationId)) receiptsArriving.set(conversationId, []);
  let data;
  try {
    data = await api.get(`/conversations/${api.seg(conversationId)}/receipts?since_seq=${since}`);
  } finally {
    if (receiptRequests.get(conversationId) === n && epoch === state.epoch && !data) receiptsArriving.delete(conversationId);
  }
  if (epoch !== state.epoch || receiptRequests.get(conversationId) !== n) return;
  const members = new Map();
  for (const m of data.members || []) members.set(m.user_id, { delivered_seq: m.delivered_seq, seen_seq: m.seen_seq });
  const marks = (data.marks || []).slice().sort((a, b) => new Date(a.at) - new Date(b.at));
  state.receipts.set(conversationId, { sinceSeq: since, members, marks });
  const arrived = receiptsArriving.get(conversationId) || [];
  receiptsArriving.delete(conversationId);
  for (const event of arrived) applyReceipt(event);
  emit(`receipts:${conversationId}`);
}

export function receiptsLoading(conversationId) {
  return receiptsArriving.has(conversationId);
}

/** A receipt.updated event: a new mark, and the member's cursors move forward. */
export function applyReceipt(event) {
  const waiting = receiptsArriving.get(event.conversation_id);
  if (waiting) waiting.push(event);
  const r = state.receipts.get(event.conversation_id);
  if (r) {
    r.marks.push({ user_id: event.user_id, kind: event.kind, up_to_seq: event.up_to_seq, at: event.at });
    const m = r.members.get(event.user_id) || { delivered_seq: 0, seen_seq: 0 };
    if (event.kind === 'seen') {
      m.seen_seq = Math.max(m.seen_seq, event.up_to_seq);
      m.delivered_seq = Math.max(m.delivered_seq, event.up_to_seq);
    } else {
      m.delivered_seq = Math.max(m.delivered_seq, event.up_to_seq);
    }
    r.members.set(event.user_id, m);
    emit(`receipts:${event.conversation_id}`);
  }
  if (state.me && event.user_id === state.me.id && event.kind === 'seen') {
    // Read on another of my devices.
    markSeenLocally(event.conversation_id, event.up_to_seq);
  }
}

// -- quick replies ---------------------------------------------------------------------------
export async function loadQuickReplies() {
  const epoch = state.epoch;
  const data = await api.get('/practice/quick-replies');
  if (epoch !== state.epoch) return;
  state.quickReplies = Array.isArray(data.replies) ? data.replies.slice() : [];
  emit('quick-replies');
}
