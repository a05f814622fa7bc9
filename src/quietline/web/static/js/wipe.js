// Remote wipe, sign-out and the content wipe behind the app lock.
//
// wipe(): remove all content from the page (a fresh, empty app root), drop every in-memory
// reference (state.reset), clear localStorage (except the practice code) and sessionStorage,
// delete every IndexedDB database and every Cache Storage cache, then go to the sign-in screen
// with a fresh document. The storage steps run in parallel under a deadline, so the whole
// thing takes well under two seconds even if a browser API hangs.

import * as api from './api.js';
import * as socket from './socket.js';
import { reset } from './state.js';

export const PRACTICE_KEY = 'quietline.practice';
const STORAGE_DEADLINE_MS = 1200;
let wiping = null;

// The practice code, also kept in memory: the server's Clear-Site-Data (sent with sign-out and
// with every 401 to the app) empties localStorage, and the app puts the code back afterwards.
let practiceCode = readPractice();

function readPractice() {
  try {
    return localStorage.getItem(PRACTICE_KEY) || '';
  } catch {
    return '';
  }
}

/** The remembered practice code ('' when none). */
export function rememberedPractice() {
  return practiceCode || readPractice();
}

/** Remember the practice code (the only thing the app stores). */
export function savePractice(code) {
  practiceCode = code || '';
  restorePractice();
}

/** Put the practice code back if something (Clear-Site-Data, a wipe) removed it. */
export function restorePractice() {
  if (!practiceCode) return;
  try {
    if (localStorage.getItem(PRACTICE_KEY) !== practiceCode) localStorage.setItem(PRACTICE_KEY, practiceCode);
  } catch {
    /* storage blocked: nothing to prefill next time */
  }
}

/** A fresh, empty app root in place of the old one: no node of the old page survives. */
export function freshRoot() {
  const old = document.getElementById('app');
  const root = document.createElement('div');
  root.id = 'app';
  root.className = 'app';
  const screen = document.createElement('div');
  screen.id = 'screen';
  screen.className = 'screen';
  const alerts = document.createElement('div');
  alerts.id = 'alerts';
  alerts.className = 'toasts';
  alerts.setAttribute('role', 'alert');
  const announcer = document.createElement('div');
  announcer.id = 'announcer';
  announcer.className = 'sr-only';
  announcer.setAttribute('aria-live', 'polite');
  announcer.setAttribute('aria-atomic', 'true');
  root.append(alerts, announcer, screen);
  if (old) old.replaceWith(root);
  else document.body.prepend(root);
  // Anything else the app put in the body (an open dialog, say) goes too.
  for (const el of [...document.body.children]) {
    if (el !== root && el.tagName !== 'SCRIPT' && el.tagName !== 'NOSCRIPT') el.remove();
  }
  document.title = 'Quietline';
  return root;
}

/** Content out of the page and out of memory (the lock screen follows). */
export function wipeContent() {
  socket.stop();
  closeDialogs();
  freshRoot();
  reset();
  if ('clearAppBadge' in navigator) navigator.clearAppBadge().catch(() => {});
}

function closeDialogs() {
  for (const d of document.querySelectorAll('dialog[open]')) {
    try {
      d.close();
    } catch {
      /* gone */
    }
  }
}

function clearWebStorage() {
  try {
    localStorage.clear();
  } catch {
    /* storage blocked */
  }
  try {
    sessionStorage.clear();
  } catch {
    /* storage blocked */
  }
}

async function deleteDatabases() {
  if (!('indexedDB' in window) || typeof indexedDB.databases !== 'function') return;
  const dbs = await indexedDB.databases();
  await Promise.all(dbs.filter((d) => d.name).map((d) => new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(d.name);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  })));
}

async function deleteCaches() {
  if (!('caches' in window)) return;
  const names = await caches.keys();
  await Promise.all(names.map((name) => caches.delete(name)));
}

async function unsubscribePush() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.getRegistration('/app/');
  const sub = reg && reg.pushManager ? await reg.pushManager.getSubscription() : null;
  if (sub) await sub.unsubscribe();
}

const deadline = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why the sign-in screen is showing after a wipe (keys kept in the history entry). */
export const NOTICES = {
  'signed-out': ['success', 'You are signed out. Nothing from Quietline is left in this browser.'],
  revoked: ['info', 'This device was signed out (from another device or by an administrator), and what it showed was erased.'],
  ended: ['info', 'Your session has ended, and what was on screen was erased. Sign in again to continue.'],
  tries: ['error', 'Too many wrong tries: this device was signed out. Sign in again.'],
};

/** The notice the last wipe left for the sign-in screen (read once). */
export function takeNotice() {
  const key = history.state && typeof history.state.notice === 'string' ? history.state.notice : null;
  if (key) history.replaceState(null, '', location.href);
  return key && NOTICES[key] ? NOTICES[key] : null;
}

/**
 * The remote wipe. Runs once however many triggers fire (a 401 and a socket close together).
 * `serverCall` (optional) is awaited first with its own short deadline: the sign-out request.
 */
export function wipe({ serverCall, reason = 'ended' } = {}) {
  if (wiping) return wiping;
  wiping = (async () => {
    socket.stop();
    closeDialogs();
    freshRoot();
    reset();
    if (!practiceCode) practiceCode = readPractice();
    clearWebStorage();
    if (serverCall) {
      await Promise.race([serverCall().catch(() => {}), deadline(800)]);
    }
    api.setCsrf(null);
    await Promise.race([
      Promise.allSettled([deleteDatabases(), deleteCaches(), unsubscribePush()]),
      deadline(STORAGE_DEADLINE_MS),
    ]);
    // Clear-Site-Data from the server may have cleared storage meanwhile: clear once more,
    // then put back the one thing the app keeps (so the sign-in form is prefilled).
    clearWebStorage();
    restorePractice();
    if ('clearAppBadge' in navigator) navigator.clearAppBadge().catch(() => {});
    // To the sign-in screen in a fresh document, so not one object of the old page (closures,
    // detached nodes, pending callbacks) lives on. The history entry carries only why (a fixed
    // word, never content), so the sign-in screen can say so.
    const target = '/app/#/sign-in';
    if (location.pathname === '/app/') {
      history.replaceState({ notice: NOTICES[reason] ? reason : 'ended' }, '', target);
      location.reload();
    } else {
      location.replace(target);
    }
  })();
  return wiping;
}

/** Sign out: tell the server (it clears the cookie), then wipe everything here. */
export function signOut() {
  return wipe({ reason: 'signed-out', serverCall: () => api.post('/auth/sign-out', undefined, { auth401: true }) });
}
