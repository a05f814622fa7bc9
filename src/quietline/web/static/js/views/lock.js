// The lock screen (#/locked): no content is in the page or in memory while it shows.
// Unlock with the PIN, the password or a passkey; or sign out.

import * as api from '../api.js';
import { busy, field, h, icon, notify, report } from '../dom.js';
import { authFrame } from './sign-in.js';

/**
 * Render the lock screen. `onUnlocked()` reloads the app; `onSignOut()` signs out;
 * `onEnded()` wipes (the session ended: five wrong tries, revoked, timed out).
 */
export function renderLock(screen, { beforeUnlock, onUnlocked, onSignOut, onEnded }) {
  document.title = 'Locked · Quietline';
  const pin = h('input', { type: 'password', name: 'pin', inputmode: 'numeric', autocomplete: 'off', pattern: '[0-9]*', maxlength: '12' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', maxlength: '1024' });
  const unlock = h('button', { type: 'submit', class: 'button primary block' }, icon('lock'), h('span', { class: 'btn-label' }, 'Unlock'));
  const form = h('form', { class: 'form', novalidate: true },
    field('PIN', pin, { hint: 'The unlock PIN you set in Settings.' }).wrap,
    h('p', { class: 'or' }, h('span', null, 'or')),
    field('Password', password).wrap,
    unlock);

  const tryUnlock = async (body, button) => {
    if (beforeUnlock) await beforeUnlock();
    try {
      await api.post('/web/unlock', body, { auth401: true });
      onUnlocked();
    } catch (err) {
      if (err.status === 401) {
        // Wrong (the detail says how many tries are left), or the session has ended.
        let alive = true;
        try {
          const s = await api.get('/web/session', { auth401: true });
          api.setCsrf(s.csrf_token);
        } catch (e) {
          if (e.status === 401) alive = false;
        }
        if (!alive) {
          onEnded(/too many/i.test(err.detail || '') ? 'tries' : 'ended');
          return;
        }
        notify(err.detail);
        const input = body.pin !== undefined ? pin : body.password !== undefined ? password : null;
        if (input && button.isConnected) {
          input.value = '';
          input.focus();
        }
        return;
      }
      report(err);
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = pin.value.trim();
    const pw = password.value;
    if (!p && !pw) {
      notify('Enter your PIN or your password.');
      pin.focus();
      return;
    }
    const body = p ? { pin: p } : { password: pw };
    busy(unlock, () => tryUnlock(body, unlock), 'Unlocking…');
  });

  const passkey = h('button', { type: 'button', class: 'button secondary block' }, icon('key'), h('span', { class: 'btn-label' }, 'Unlock with passkey'));
  passkey.addEventListener('click', () => busy(passkey, async () => {
    if (!api.passkeysSupported()) {
      notify('This browser cannot use passkeys here. Use your PIN or password.');
      return;
    }
    let credential;
    try {
      if (beforeUnlock) await beforeUnlock();
      const options = await api.post('/web/unlock/passkey-options', undefined, { auth401: true });
      credential = await api.getPasskey(options);
    } catch (err) {
      if (err.status === 401) {
        onEnded();
        return;
      }
      notify(api.passkeyErrorText(err));
      return;
    }
    await tryUnlock({ passkey: credential }, passkey);
  }, 'Waiting for passkey…'));

  const signOut = h('button', { type: 'button', class: 'button subtle block' }, icon('signOut'), h('span', { class: 'btn-label' }, 'Sign out'));
  signOut.addEventListener('click', () => onSignOut());

  authFrame(screen,
    h('div', { class: 'auth-head' },
      h('div', { class: 'lock-badge', 'aria-hidden': 'true' }, icon('lock')),
      h('h1', { class: 'auth-title', tabindex: '-1' }, 'Quietline is locked'),
      h('p', { class: 'auth-lead' }, 'Your messages are hidden. Unlock to continue.')),
    form,
    h('p', { class: 'or' }, h('span', null, 'or')),
    passkey,
    h('div', { class: 'auth-actions' }, signOut));
  pin.focus();
}
