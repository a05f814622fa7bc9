// Start-up, the hash router, the signed-in shell (header, nav, main), live events, app lock.
//
// Routes: #/ (list), #/c/<conversation-id> (thread), #/clients, #/clients/<client-id>,
// #/appointments, #/devices, #/settings, #/sign-in, #/locked, #/admin/<section> (owners and
// admins), #/join/<token> (an invitation link, signed out), #/supervision and
// #/supervision/<conversation-id> (a supervisor's supervisees' client threads, read-only).

import * as api from './api.js';
import { announce, fill, h, icon, logo, notify, report } from './dom.js';
import * as socket from './socket.js';
import {
  addMessage, applyReceipt, emit, forgetConversation, highestSeq, isShownNow, loadConversation,
  loadConversations, loadDirectory, loadQuickReplies, loadReceipts, messagesOf, on, policy, receiptsLoading,
  refreshConversationsSoon, removeMessages, setSession, setStatus, state, sweepExpired, totalUnread,
  conversationName, isAdmin, userName,
} from './state.js';
import { freshRoot, restorePractice, signOut, takeNotice, wipe, wipeContent } from './wipe.js';
import { renderSignIn } from './views/sign-in.js';
import { renderLock } from './views/lock.js';
import { mountList } from './views/list.js';
import { mountThread, mountThreadPlaceholder } from './views/thread.js';
import { mountStatus } from './views/status.js';
import { mountDevices } from './views/devices.js';
import { mountSettings } from './views/settings.js';
import { ADMIN_SECTIONS, mountAdmin, suggestEmergencyAccess } from './views/admin.js';
import { renderJoin } from './views/join.js';
import { applyClientDelivery, applyClientSeen } from './views/client-thread.js';

let shell = null; // the signed-in frame: {header, main, banner, list, thread, threadId, page, pageName}
let resumeHash = '#/'; // where to go back to after unlocking
let booting = null;

// -- service worker ------------------------------------------------------------------------
// The CSP requires Trusted Types for script URLs; the one policy vets exactly this URL.
let swPolicy = null;
function swUrl() {
  const url = '/app/sw.js';
  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    if (!swPolicy) {
      swPolicy = window.trustedTypes.createPolicy('quietline', {
        createScriptURL: (value) => {
          if (value === url) return value;
          throw new TypeError('Only the app service worker may be loaded.');
        },
      });
    }
    return swPolicy.createScriptURL(url);
  }
  return url;
}

/** Registered once someone is signed in (a signed-out browser keeps no cache of ours). */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register(swUrl(), { scope: '/app/', updateViaCache: 'none' })
    .then(() => navigator.serviceWorker.ready)
    .then((reg) => {
      if (reg.active && state.me) reg.active.postMessage({ type: 'cache-shell' });
    })
    .catch(() => {
      /* the app works without it: no offline shell, no notifications */
    });
}

// -- start-up ------------------------------------------------------------------------------
function screenEl() {
  return document.getElementById('screen') || freshRoot().querySelector('#screen');
}

function renderLoading(text = 'Opening Quietline…') {
  fill(screenEl(),
    h('main', { id: 'main', class: 'loading-screen' },
      logo(48),
      h('p', { class: 'loading-text', role: 'status' }, text)));
}

/** GET /api/v1/web/session: 401 -> sign-in; locked -> lock screen; else the app. */
function boot() {
  if (booting) return booting;
  booting = (async () => {
    const first = parseRoute();
    if (first.name === 'join') {
      // An invitation link: the token is taken out of the address at once (joinToken).
      showJoin(first.token);
      return;
    }
    renderLoading();
    let session;
    try {
      session = await api.get('/web/session', { auth401: true });
    } catch (err) {
      if (err.status === 401) {
        restorePractice(); // the 401 came with Clear-Site-Data
        const r = parseRoute();
        if (['thread', 'devices', 'settings', 'admin', 'clients', 'client', 'appointments', 'supervision', 'supervised'].includes(r.name)) resumeHash = location.hash;
        const notice = takeNotice();
        showSignIn();
        if (notice) notify(notice[1], { kind: notice[0], timeout: 0 });
        return;
      }
      if (err.handled) return; // 423 became the lock screen
      renderStartupProblem(err);
      return;
    }
    api.setCsrf(session.csrf_token);
    if (session.locked) {
      setSession(session.me);
      showLock();
      return;
    }
    setSession(session.me);
    await enterApp();
  })().catch((err) => {
    report(err);
  }).finally(() => {
    booting = null;
  });
  return booting;
}

function renderStartupProblem(err) {
  const retry = h('button', { type: 'button', class: 'button primary' }, 'Try again');
  retry.addEventListener('click', () => boot());
  fill(screenEl(),
    h('main', { id: 'main', class: 'loading-screen' },
      logo(48),
      h('h1', { class: 'auth-title' }, 'Quietline is not available'),
      h('p', { class: 'loading-text' }, err.detail || 'The server could not be reached.'),
      retry));
}

/** The page an invitation link opens: choose a password, join, and land signed in. */
let joinToken = null; // in memory only, never in storage or the history
function showJoin(token) {
  if (token) joinToken = token;
  state.locked = false;
  shell = null;
  // The token does not stay in the address bar or the history.
  if (location.hash !== '#/join') history.replaceState(null, '', '#/join');
  renderJoin(screenEl(), {
    token: joinToken,
    onJoined: async (result) => {
      joinToken = null;
      api.setCsrf(result.csrf_token);
      setSession(result);
      history.replaceState(null, '', '#/');
      lastActivity = Date.now();
      await enterApp();
    },
    onSignIn: () => {
      joinToken = null;
      showSignIn();
    },
  });
}

function showSignIn() {
  state.locked = false;
  if (location.hash !== '#/sign-in') history.replaceState(null, '', '#/sign-in');
  shell = null;
  renderSignIn(screenEl(), {
    onSignedIn: async (result) => {
      api.setCsrf(result.csrf_token);
      setSession(result);
      const target = resumeHash && resumeHash !== '#/sign-in' ? resumeHash : '#/';
      history.replaceState(null, '', target);
      lastActivity = Date.now();
      await enterApp();
    },
  });
}

async function enterApp() {
  state.locked = false;
  mountShell();
  registerServiceWorker();
  if (state.session.restricted) {
    history.replaceState(null, '', '#/settings');
    route();
    return;
  }
  route(); // the views show "Loading…" until the data arrives
  const results = await Promise.allSettled([loadDirectory(), loadConversations(), loadQuickReplies()]);
  refreshOnCall();
  for (const r of results) if (r.status === 'rejected') report(r.reason);
  if (!state.me) return; // wiped or locked meanwhile
  socket.start({
    onReady,
    onEvent,
    onSessionEnded: (frame) => wipe({ reason: frame && frame.type === 'session.revoked' ? 'revoked' : 'ended' }),
    onLocked: () => showLock(),
    onStateChange: setOnline,
  });
}

// -- the signed-in shell ---------------------------------------------------------------------
function navLink(href, label, iconName, { title = false } = {}) {
  return h('a', { href, class: 'nav-link', dataset: { nav: href }, title: title ? label : null }, icon(iconName), h('span', null, label));
}

// On phones the header shows Conversations, Clients, Appointments and "Menu"; the menu holds
// the rest. From 600 px every link is in the bar (the menu's box is `display: contents`).
let menuDoc = null;
function closeMenu({ focusToggle = false } = {}) {
  if (!shell || !shell.nav.classList.contains('is-open')) return;
  shell.nav.classList.remove('is-open');
  shell.menuToggle.setAttribute('aria-expanded', 'false');
  if (focusToggle) shell.menuToggle.focus();
}

function mountShell() {
  destroyShell();
  const lockButton = h('button', { type: 'button', class: 'header-button' }, icon('lock'), h('span', null, 'Lock'));
  lockButton.addEventListener('click', () => lockNow());
  const signOutButton = h('button', { type: 'button', class: 'nav-link nav-button', title: 'Sign out' }, icon('signOut'), h('span', null, 'Sign out'));
  signOutButton.addEventListener('click', () => signOut());
  const statusSlot = h('div', { class: 'status-slot' });
  const practice = state.session ? state.session.practice_name : '';
  const skip = h('button', { type: 'button', class: 'skip-link' }, 'Skip to main content');
  skip.addEventListener('click', () => {
    const target = document.querySelector('#main h1, #main h2') || document.getElementById('main');
    if (target) {
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    }
  });
  const menuToggle = h('button', { type: 'button', class: 'nav-link nav-button nav-menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'nav-more' },
    icon('menu'), h('span', null, 'Menu'));
  // Whoever is on call now may open emergency access to a client's thread (decision 0014):
  // the link shows while their shift lasts (showOnCall).
  const emergencyLink = mayBeOnCall() ? navLink('#/admin/emergency', 'Emergency access', 'alert', { title: true }) : null;
  if (emergencyLink) emergencyLink.hidden = !onCallNow();
  const nav = h('nav', { class: 'nav', 'aria-label': 'Main' },
    navLink('#/', 'Conversations', 'chat'),
    navLink('#/clients', 'Clients', 'users'),
    navLink('#/appointments', 'Appointments', 'calendar'),
    menuToggle,
    h('div', { id: 'nav-more', class: 'nav-more' },
      navLink('#/devices', 'My devices', 'devices', { title: true }),
      navLink('#/settings', 'Settings', 'settings', { title: true }),
      // Supervisors (and owners, who may supervise): their supervisees' client threads.
      state.me && ['supervisor', 'owner'].includes(state.me.role) ? navLink('#/supervision', 'Supervision', 'users', { title: true }) : null,
      isAdmin() ? navLink('#/admin', 'Admin', 'shield', { title: true }) : null,
      emergencyLink,
      signOutButton));
  menuToggle.addEventListener('click', () => {
    const open = !nav.classList.contains('is-open');
    nav.classList.toggle('is-open', open);
    menuToggle.setAttribute('aria-expanded', String(open));
  });
  nav.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('.nav-more a')) closeMenu();
  });
  nav.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && nav.classList.contains('is-open')) closeMenu({ focusToggle: true });
  });
  if (!menuDoc) {
    menuDoc = (e) => {
      if (shell && shell.nav && !shell.nav.contains(e.target)) closeMenu();
    };
    document.addEventListener('pointerdown', menuDoc, true);
  }
  const header = h('header', { class: 'topbar' },
    skip,
    h('a', { class: 'brand', href: '#/' }, logo(30),
      h('span', { class: 'brand-text' },
        h('span', { class: 'brand-name' }, 'Quietline'),
        h('span', { class: 'brand-practice' }, practice))),
    nav,
    statusSlot,
    lockButton);
  const banner = h('div', { class: 'conn-banner', role: 'status', hidden: true });
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  fill(screenEl(), header, banner, main);
  const status = state.session.restricted ? null : mountStatus(statusSlot);
  shell = { header, nav, menuToggle, main, banner, status, emergencyLink, list: null, thread: null, threadId: null, page: null, pageName: null, offs: [] };
  shell.offs.push(on('conversations', updateTitle));
  shell.offs.push(on('tick', showOnCall));
}

function destroyShell() {
  if (!shell) return;
  shell.status?.destroy();
  shell.list?.destroy();
  shell.thread?.destroy();
  shell.page?.destroy();
  for (const off of shell.offs) off();
  shell = null;
}

let offlineTimer = 0;
function setOnline(online) {
  state.online = online;
  emit('connection', online);
  if (!shell) return;
  clearTimeout(offlineTimer);
  if (online) {
    shell.banner.hidden = true;
    shell.banner.textContent = '';
  } else {
    // Brief blips are not worth a banner.
    offlineTimer = setTimeout(() => {
      if (!shell || state.online) return;
      shell.banner.hidden = false;
      shell.banner.textContent = navigator.onLine
        ? 'Reconnecting to Quietline… New messages will appear when the connection is back.'
        : 'You are offline. New messages will appear when the connection is back.';
    }, 2500);
  }
}

function updateTitle() {
  const n = totalUnread();
  document.title = n ? `(${n > 99 ? '99+' : n}) Quietline` : 'Quietline';
  if ('setAppBadge' in navigator) {
    (n ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(() => {});
  }
}

// -- router ----------------------------------------------------------------------------------
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseRoute() {
  const path = (location.hash || '#/').slice(1) || '/';
  if (path === '/' || path === '') return { name: 'list' };
  if (path.startsWith('/c/')) {
    const id = path.slice(3);
    if (UUID_RE.test(id)) return { name: 'thread', id: id.toLowerCase() };
    return { name: 'list', bad: true };
  }
  if (path === '/clients' || path === '/clients/') return { name: 'clients' };
  if (path.startsWith('/clients/')) {
    const id = path.slice(9);
    if (UUID_RE.test(id)) return { name: 'client', id: id.toLowerCase() };
    return { name: 'clients' };
  }
  if (path === '/appointments') return { name: 'appointments' };
  if (path === '/supervision' || path === '/supervision/') return { name: 'supervision' };
  if (path.startsWith('/supervision/')) {
    const id = path.slice(13);
    if (UUID_RE.test(id)) return { name: 'supervised', id: id.toLowerCase() };
    return { name: 'supervision' };
  }
  if (path === '/devices') return { name: 'devices' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/sign-in') return { name: 'sign-in' };
  if (path === '/locked') return { name: 'locked' };
  if (path === '/admin' || path === '/admin/') return { name: 'admin', section: ADMIN_SECTIONS[0].key };
  if (path.startsWith('/admin/')) {
    const section = path.slice(7);
    if (ADMIN_SECTIONS.some((x) => x.key === section)) return { name: 'admin', section };
    return { name: 'admin', section: ADMIN_SECTIONS[0].key, bad: true };
  }
  if (path === '/join' || path.startsWith('/join/')) return { name: 'join', token: path.slice(6) || null };
  return { name: 'list', bad: true };
}

function route() {
  let r = parseRoute();
  if (state.locked) {
    if (r.name !== 'locked') history.replaceState(null, '', '#/locked');
    return;
  }
  if (!state.me) {
    if (booting) return;
    if (r.name === 'join') {
      showJoin(r.token);
      return;
    }
    if (r.name !== 'sign-in') {
      if (r.name !== 'locked') resumeHash = location.hash || '#/';
      showSignIn();
    }
    return;
  }
  if (!shell) return;
  if (r.name === 'join') {
    notify('You are signed in already. Sign out, then open the invitation link again.', { kind: 'info' });
  }
  if (r.name === 'admin' && r.bad) {
    history.replaceState(null, '', `#/admin/${r.section}`);
    r = { name: 'admin', section: r.section };
  }
  if (r.name === 'sign-in' || r.name === 'locked' || r.name === 'join' || r.bad) {
    history.replaceState(null, '', '#/');
    r = { name: 'list' };
  }
  if (state.session.restricted && r.name !== 'settings') {
    history.replaceState(null, '', '#/settings');
    r = { name: 'settings' };
  }
  closeMenu();
  let folded = false;
  for (const a of shell.header.querySelectorAll('[data-nav]')) {
    const target = a.dataset.nav;
    const current = (target === '#/' && (r.name === 'list' || r.name === 'thread'))
      || (target === '#/clients' && (r.name === 'clients' || r.name === 'client'))
      || (target === '#/appointments' && r.name === 'appointments')
      || (target === '#/supervision' && (r.name === 'supervision' || r.name === 'supervised'))
      || (target === '#/devices' && r.name === 'devices')
      || (target === '#/settings' && r.name === 'settings')
      || (target === '#/admin' && r.name === 'admin');
    if (current) a.setAttribute('aria-current', r.name === 'thread' || r.name === 'client' || r.name === 'supervised' ? 'true' : 'page');
    else a.removeAttribute('aria-current');
    if (current && a.closest('.nav-more')) folded = true;
  }
  shell.menuToggle.classList.toggle('has-current', folded);
  if (r.name === 'list' || r.name === 'thread') showConversations(r.name === 'thread' ? r.id : null);
  else showPage(r.name, r);
}

function showConversations(threadId) {
  const main = shell.main;
  if (!shell.list) {
    shell.page?.destroy();
    shell.page = null;
    shell.pageName = null;
    const listPane = h('div', { class: 'pane pane-list' });
    const threadPane = h('div', { class: 'pane pane-thread' });
    main.className = 'main split';
    fill(main, listPane, threadPane);
    shell.list = mountList(listPane);
    shell.threadPane = threadPane;
  }
  main.classList.toggle('has-thread', !!threadId);
  state.openConversation = threadId;
  shell.list.setActive(threadId);
  if (shell.threadId !== threadId || !shell.thread) {
    shell.thread?.destroy();
    shell.threadId = threadId;
    shell.thread = threadId
      ? mountThread(shell.threadPane, threadId)
      : mountThreadPlaceholder(shell.threadPane);
    if (threadId) shell.thread.focus?.();
    else if (document.activeElement === document.body || !main.contains(document.activeElement)) shell.list.focus();
  }
}

function showPage(kind, r = {}) {
  state.openConversation = null;
  const name = kind === 'admin' ? `admin:${r.section}` : kind === 'client' || kind === 'supervised' ? `${kind}:${r.id}` : kind;
  if (shell.pageName === name && shell.page) return;
  shell.list?.destroy();
  shell.thread?.destroy();
  shell.page?.destroy();
  shell.list = null;
  shell.thread = null;
  shell.threadId = null;
  shell.main.className = 'main page';
  shell.main.replaceChildren();
  shell.pageName = name;
  const ctx = { onSecondFactorReady: reloadSession };
  if (kind === 'admin') shell.page = mountAdmin(shell.main, r.section);
  else if (kind === 'clients') shell.page = lazyPage(() => import('./views/clients.js'), (m) => m.mountClients(shell.main));
  else if (kind === 'client') shell.page = lazyPage(() => import('./views/clients.js'), (m) => m.mountClient(shell.main, r.id));
  else if (kind === 'appointments') shell.page = lazyPage(() => import('./views/appointments.js'), (m) => m.mountAppointments(shell.main));
  else if (kind === 'supervision') shell.page = lazyPage(() => import('./views/supervision.js'), (m) => m.mountSupervisedThreads(shell.main));
  else if (kind === 'supervised') shell.page = lazyPage(() => import('./views/supervision.js'), (m) => m.mountSupervisedThread(shell.main, r.id));
  else shell.page = name === 'devices' ? mountDevices(shell.main) : mountSettings(shell.main, ctx);
  shell.page.focus?.();
}

/**
 * A page whose module is loaded when it is first opened (clients, appointments), so that
 * start-up, and the fresh document after a wipe, load no more than the conversations need.
 */
function lazyPage(load, mount) {
  let page = null;
  let gone = false;
  let wantFocus = false;
  const holder = shell.main;
  holder.replaceChildren(h('p', { class: 'empty-note', role: 'status' }, 'Loading…'));
  load().then((module) => {
    if (gone) return;
    page = mount(module);
    if (wantFocus) page.focus?.();
  }).catch((err) => {
    if (gone) return;
    holder.replaceChildren(h('p', { class: 'empty-note', role: 'alert' }, 'This page could not be loaded. Check your connection and try again.'));
    report(err);
  });
  return {
    focus() {
      if (page) page.focus?.();
      else wantFocus = true;
    },
    destroy() {
      gone = true;
      page?.destroy();
    },
  };
}

/** After a restricted person set up a second factor: the session may be fully usable now. */
async function reloadSession() {
  try {
    const s = await api.get('/web/session');
    api.setCsrf(s.csrf_token);
    if (state.session.restricted && !s.me.restricted) {
      setSession(s.me);
      notify('Two-step sign-in is on. Welcome to Quietline.', { kind: 'success' });
      history.replaceState(null, '', '#/');
      await enterApp();
    }
  } catch (err) {
    report(err);
  }
}

// -- live events -----------------------------------------------------------------------------
let connectedOnce = false;

function onReady(frame) {
  const reconnect = connectedOnce;
  connectedOnce = true;
  refreshOnCall(); // a shift may have changed while the socket was away
  const latest = frame.conversations || {};
  let listChanged = false;
  for (const [id, last] of Object.entries(latest)) {
    if (!state.conversations.has(id)) {
      listChanged = true;
      continue;
    }
    const known = highestSeq(id);
    if (last > known) socket.resume(id, known);
  }
  for (const id of state.conversations.keys()) if (!(id in latest)) listChanged = true;
  if (listChanged || reconnect) refreshConversationsSoon(reconnect ? 300 : 50);
  if (reconnect) {
    loadDirectory().catch(() => {});
    const open = state.openConversation;
    if (open && state.receipts.has(open)) loadReceipts(open, state.receipts.get(open).sinceSeq).catch(() => {});
  }
}

function incoming(m, { live }) {
  const isNew = addMessage(m);
  socket.ack(m.conversation_id, m.seq);
  if (isNew && live && state.me && m.sender_id !== state.me.id && !isShownNow(m.conversation_id)) {
    const c = state.conversations.get(m.conversation_id);
    const where = c ? conversationName(c) : 'a conversation';
    // A client's own message has no staff sender: their thread is named after them.
    const who = m.sender_id ? userName(m.sender_id) : where;
    announce(m.sender_id
      ? `New ${m.urgent ? 'urgent ' : ''}message from ${who} in ${where}.`
      : `New ${m.urgent ? 'urgent ' : ''}message from ${who}.`);
  }
}

const receiptLoads = new Set();
function ensureReceipts(conversationId) {
  if (state.receipts.has(conversationId) || !state.threads.has(conversationId)
    || receiptLoads.has(conversationId) || receiptsLoading(conversationId)) return;
  const mine = messagesOf(conversationId).filter((m) => state.me && m.sender_id === state.me.id);
  if (!mine.length) return;
  receiptLoads.add(conversationId);
  loadReceipts(conversationId, mine[0].seq).catch(() => {}).finally(() => receiptLoads.delete(conversationId));
}

function onEvent(f) {
  switch (f.type) {
    case 'message.created':
      if (f.message) incoming(f.message, { live: true });
      break;
    case 'backlog': {
      const msgs = f.messages || [];
      for (const m of msgs) incoming(m, { live: false });
      const t = state.threads.get(f.conversation_id);
      if (f.has_more && msgs.length) {
        if (t && t.loaded) socket.resume(f.conversation_id, msgs[msgs.length - 1].seq);
        else refreshConversationsSoon();
      }
      break;
    }
    case 'message.recalled':
      removeMessages(f.conversation_id, [f.message_id]);
      refreshConversationsSoon();
      break;
    case 'message.expired':
      removeMessages(f.conversation_id, f.message_ids || []);
      refreshConversationsSoon();
      break;
    case 'receipt.updated':
      applyReceipt(f);
      ensureReceipts(f.conversation_id);
      break;
    case 'status.changed':
      setStatus(f.user_id, f.in_session_until);
      break;
    case 'membership.added':
      if (state.me && f.user_id === state.me.id) {
        loadConversations().catch(() => {});
      } else {
        const c = state.conversations.get(f.conversation_id);
        if (c && !c.member_ids.includes(f.user_id)) c.member_ids = [...c.member_ids, f.user_id];
        if (!state.users.has(f.user_id)) loadDirectory().catch(() => {});
        emit('conversations');
        emit(`conversation:${f.conversation_id}`);
      }
      break;
    case 'membership.removed':
      if (state.me && f.user_id === state.me.id) {
        const wasOpen = state.openConversation === f.conversation_id;
        forgetConversation(f.conversation_id);
        if (wasOpen) {
          notify('You are no longer a member of that conversation.', { kind: 'info' });
          location.hash = '#/';
        }
      } else {
        const c = state.conversations.get(f.conversation_id);
        if (c) c.member_ids = c.member_ids.filter((id) => id !== f.user_id);
        emit('conversations');
        emit(`conversation:${f.conversation_id}`);
      }
      break;
    case 'conversation.updated':
      loadConversation(f.conversation_id).catch(() => {});
      break;
    case 'emergency_access.opened':
    case 'emergency_access.closed':
      emit(`emergency:${f.conversation_id}`, f);
      break;
    case 'supervision.viewed': // a supervisor read this client thread (decision 0021)
      emit(`supervision:${f.conversation_id}`, f);
      break;
    case 'supervision.changed':
      emit('supervision', f);
      break;
    case 'on_call.changed':
      refreshOnCall();
      break;
    case 'urgent.alert':
      // A client's message reads as a crisis. In the thread, members see it; whoever is on
      // call (or an admin) and not in it is offered emergency access to it.
      if (!state.conversations.has(f.conversation_id) && (isAdmin() || onCallNow())) {
        suggestEmergencyAccess(f.conversation_id);
        notify('A client’s message reads as a crisis, in a thread you are not in. To read it, open Emergency access in the menu: the thread is filled in.', { timeout: 0 });
      }
      break;
    case 'client.delivery':
      applyClientDelivery(f);
      break;
    case 'client.seen':
      applyClientSeen(f);
      break;
    case 'appointment.created':
    case 'appointment.updated':
    case 'appointment.cancelled':
      emit('appointments', f);
      break;
    case 'client_senders.changed':
      // Who may message clients changed: the list's may_message_client flags follow, and the
      // appointments page's texting buttons once the settings are loaded again.
      state.clientMessaging = null;
      refreshConversationsSoon(50);
      emit('appointments', f);
      break;
    case 'policy.changed':
      if (state.session && f.policy) {
        state.session.policy = { ...state.session.policy, ...f.policy };
        emit('policy');
      }
      break;
    default:
      break; // pong, error frames and anything newer than this app
  }
}

// -- on call ----------------------------------------------------------------------------------
// The signed-in person's on-call shifts (GET /on-call: from now, four weeks), to know whether
// they are on call now without asking the server at every tick. Fetched at start, when a
// shift changes (on_call.changed), and hourly; owners and admins need none of it.
let myShifts = [];
let shiftsFetched = 0;
const mayBeOnCall = () => !!state.me && !isAdmin() && state.me.role !== 'front_desk';

function onCallNow() {
  const now = Date.now();
  return !!state.me && myShifts.some((x) => x.user_id === state.me.id
    && Date.parse(x.starts_at) <= now && now < Date.parse(x.ends_at));
}

function showOnCall() {
  if (mayBeOnCall() && Date.now() - shiftsFetched > 3_600_000) {
    refreshOnCall();
    return;
  }
  if (shell && shell.emergencyLink) shell.emergencyLink.hidden = !onCallNow();
}

async function refreshOnCall() {
  if (!mayBeOnCall()) return;
  shiftsFetched = Date.now();
  const epoch = state.epoch;
  try {
    const shifts = await api.get('/on-call');
    if (epoch !== state.epoch || !state.me) return;
    myShifts = shifts.filter((x) => x.user_id === state.me.id);
  } catch {
    myShifts = [];
  }
  showOnCall();
}

// -- app lock ------------------------------------------------------------------------------
let lastActivity = Date.now();
let quietScrollUntil = 0;

/** Scrolls the app itself makes (to the newest message) are not the person's activity. */
window.addEventListener('quietline:programmatic-scroll', () => {
  quietScrollUntil = Date.now() + 250;
});

function markActive(event) {
  if (event.type === 'scroll' && Date.now() < quietScrollUntil) return;
  if (state.locked) return;
  // Interaction after a long sleep: check the lock first, so that tap cannot count.
  if (checkIdle()) return;
  lastActivity = Date.now();
  socket.activity(); // the server counts this as use of the session (app lock, idle timeout)
}

function checkIdle() {
  if (!state.me || state.locked || !shell) return false;
  const minutes = Number(policy().app_lock_minutes);
  if (!minutes || minutes <= 0) return false;
  if (Date.now() - lastActivity >= minutes * 60000) {
    lockNow();
    return true;
  }
  return false;
}

/** Lock now: tell the server, wipe content from the page and memory, show the lock screen. */
let lockRequest = Promise.resolve();

function lockNow() {
  if (state.locked || !state.me) return;
  // An unlock waits for this, so it can never overtake the lock on its way to the server.
  lockRequest = api.post('/web/lock', undefined, { auth401: true, keepalive: true }).catch(() => {});
  showLock();
}

function showLock() {
  if (state.locked && document.querySelector('.auth-card .lock-badge')) return;
  const r = parseRoute();
  if (r.name !== 'locked' && r.name !== 'sign-in') resumeHash = location.hash || '#/';
  destroyShell();
  wipeContent();
  state.locked = true;
  history.replaceState(null, '', '#/locked');
  renderLock(screenEl(), {
    beforeUnlock: () => lockRequest,
    onUnlocked: () => {
      state.locked = false;
      lastActivity = Date.now();
      history.replaceState(null, '', resumeHash || '#/');
      connectedOnce = false;
      boot(); // everything again from the server
    },
    onSignOut: () => signOut(),
    onEnded: (why) => wipe({ reason: why === 'tries' ? 'tries' : 'ended' }),
  });
}

api.setSessionHandlers({
  unauthorized: () => wipe(),
  locked: () => showLock(),
});

for (const type of ['pointerdown', 'keydown', 'touchstart', 'wheel', 'scroll']) {
  window.addEventListener(type, markActive, { capture: true, passive: true });
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') checkIdle();
});
window.addEventListener('pageshow', () => checkIdle());
window.addEventListener('focus', () => checkIdle());
// Timers do not run while a device sleeps; every check compares timestamps instead.
setInterval(() => {
  checkIdle();
  sweepExpired();
  emit('tick');
}, 15000);

window.addEventListener('hashchange', () => route());

boot();
