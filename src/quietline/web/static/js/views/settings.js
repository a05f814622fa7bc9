// Settings (#/settings): unlock PIN, passkeys, two-step sign-in with an authenticator app,
// notifications for this device, and (owners and admins) the practice's quick replies.

import * as api from '../api.js';
import { busy, field, fill, formatFull, formatRelative, h, icon, notify, report, uid } from '../dom.js';
import { emit, isAdmin, loadQuickReplies, on, policy, state } from '../state.js';
import { deviceName } from './sign-in.js';
import { roleLabel } from './list.js';

function card(titleText, ...children) {
  const id = uid('card');
  return h('section', { class: 'card settings-card', 'aria-labelledby': id },
    h('h2', { id, class: 'card-title' }, titleText),
    children);
}

export function mountSettings(main, { onSecondFactorReady } = {}) {
  const offs = [];
  let destroyed = false;
  const restricted = !!(state.session && state.session.restricted);
  const titleId = uid('settings');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'Settings');
  const sections = [];

  if (restricted) {
    sections.push(h('div', { class: 'callout callout-warning', role: 'note' },
      icon('shield'),
      h('div', null,
        h('p', { class: 'callout-title' }, 'Set up two-step sign-in to continue'),
        h('p', null, 'Your practice requires a second step when you sign in. Add a passkey or an authenticator app below; then your messages open.'))));
  }

  sections.push(accountCard());
  if (!restricted) sections.push(pinCard());
  sections.push(passkeyCard(() => secondFactorAdded()));
  sections.push(totpCard(() => secondFactorAdded()));
  if (!restricted) sections.push(notificationsCard());
  if (!restricted && isAdmin()) sections.push(quickRepliesCard(offs));

  function secondFactorAdded() {
    if (state.me) state.me.has_second_factor = true;
    emit('me');
    if (restricted && onSecondFactorReady && !destroyed) onSecondFactorReady();
  }

  fill(main,
    h('section', { class: 'page-view', 'aria-labelledby': titleId },
      h('div', { class: 'page-head' }, title),
      sections));

  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    destroy() {
      destroyed = true;
      offs.forEach((off) => off());
    },
  };
}

// -- account ---------------------------------------------------------------------------------
function accountCard() {
  const me = state.me || {};
  const minutes = Number(policy().app_lock_minutes || 0);
  const rows = [
    ['Name', me.display_name],
    ['Email', me.email],
    ['Role', roleLabel(me.role)],
    ['Practice', state.session ? state.session.practice_name : ''],
  ];
  return card('Your account',
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v || '—')])),
    minutes ? h('p', { class: 'card-note' }, `Quietline locks itself after ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} without use, and when you come back to it after that long.`) : null);
}

// -- unlock PIN ------------------------------------------------------------------------------
function pinCard() {
  const pin = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', pattern: '[0-9]{4,12}', maxlength: '12', minlength: '4' });
  const password = h('input', { type: 'password', autocomplete: 'current-password', maxlength: '1024' });
  const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Save PIN'));
  const remove = h('button', { type: 'button', class: 'button subtle' }, h('span', { class: 'btn-label' }, 'Remove PIN'));
  const form = h('form', { class: 'form form-inline-2', novalidate: true },
    field('New PIN', pin, { hint: '4 to 12 digits. It unlocks Quietline on your devices.' }).wrap,
    field('Current password', password).wrap,
    h('div', { class: 'form-actions' }, save, remove));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = pin.value.trim();
    if (!/^[0-9]{4,12}$/.test(value)) {
      notify('A PIN is 4 to 12 digits.');
      pin.focus();
      return;
    }
    if (!password.value) {
      notify('Enter your current password to set a PIN.');
      password.focus();
      return;
    }
    busy(save, async () => {
      try {
        await api.put('/me/pin', { pin: value, password: password.value });
        pin.value = '';
        password.value = '';
        notify('Your PIN is saved. Use it to unlock Quietline.', { kind: 'success' });
      } catch (err) {
        report(err);
      }
    }, 'Saving…');
  });
  remove.addEventListener('click', () => busy(remove, async () => {
    try {
      await api.del('/me/pin');
      notify('Your PIN is removed. Unlock with your password or a passkey.', { kind: 'success' });
    } catch (err) {
      report(err);
    }
  }));
  return card('Unlock PIN',
    h('p', { class: 'card-lead' }, 'A short PIN reopens Quietline after it locks, instead of your password.'),
    form);
}

// -- passkeys ------------------------------------------------------------------------------
/** POST /me/passkey-options: creation options for navigator.credentials.create. */
function passkeyCreationOptions() {
  return api.post('/me/passkey-options');
}

function passkeyCard(onAdded) {
  const list = h('ul', { class: 'plain-list passkey-list' });
  const note = h('p', { class: 'card-note' }, 'Loading your passkeys…');
  let passkeys = [];

  function render() {
    note.hidden = passkeys.length > 0;
    note.textContent = 'You have no passkeys yet.';
    list.replaceChildren(...passkeys.map((p) => {
      const remove = h('button', { type: 'button', class: 'button danger-outline small', 'aria-label': `Remove passkey ${p.name}` }, 'Remove');
      remove.addEventListener('click', () => busy(remove, async () => {
        try {
          await api.del(`/me/passkeys/${api.seg(p.id)}`);
          passkeys = passkeys.filter((x) => x.id !== p.id);
          render();
          notify(`Passkey “${p.name}” removed.`, { kind: 'success' });
        } catch (err) {
          report(err);
        }
      }));
      const used = p.last_used_at ? `last used ${formatRelative(p.last_used_at).toLowerCase()}` : 'not used yet';
      return h('li', { class: 'list-row' },
        h('span', { class: 'row-icon', 'aria-hidden': 'true' }, icon('key')),
        h('div', { class: 'row-main' },
          h('p', { class: 'row-title' }, p.name),
          h('p', { class: 'row-meta' }, `Added ${formatFull(p.created_at)}, ${used}`)),
        remove);
    }));
  }

  api.get('/me/passkeys').then((result) => {
    passkeys = Array.isArray(result) ? result : [];
    render();
  }).catch((err) => {
    note.textContent = 'Your passkeys could not be loaded.';
    report(err);
  });

  const name = h('input', { type: 'text', maxlength: '100', autocomplete: 'off', value: deviceName() });
  const addButton = h('button', { type: 'submit', class: 'button secondary' }, icon('key'), h('span', { class: 'btn-label' }, 'Add a passkey'));
  const form = h('form', { class: 'form form-row', novalidate: true },
    field('Passkey name', name, { hint: 'So you can tell your passkeys apart, e.g. “Work laptop”.' }).wrap,
    addButton);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!api.passkeysSupported()) {
      notify('This browser cannot create passkeys here. Passkeys need a secure (https) address.');
      return;
    }
    busy(addButton, async () => {
      try {
        const options = await passkeyCreationOptions();
        let credential;
        try {
          credential = await api.createPasskey(options);
        } catch (err) {
          notify(api.passkeyErrorText(err));
          return;
        }
        const created = await api.post('/me/passkeys', { name: name.value.trim() || 'Passkey', credential });
        passkeys = [...passkeys, created];
        render();
        notify(`Passkey “${created.name}” added. You can use it to sign in and to unlock.`, { kind: 'success' });
        onAdded();
      } catch (err) {
        report(err);
      }
    }, 'Waiting for passkey…');
  });

  return card('Passkeys',
    h('p', { class: 'card-lead' }, 'A passkey uses this device’s screen lock or a security key. It works as your second step at sign-in and unlocks Quietline.'),
    note, list, form);
}

// -- authenticator app (TOTP) ----------------------------------------------------------------
function totpCard(onEnabled) {
  const body = h('div', { class: 'totp-body' });
  const section = card('Authenticator app', body);

  function showIntro() {
    const enabled = !!(state.me && state.me.has_second_factor);
    const start = h('button', { type: 'button', class: 'button secondary' }, icon('shield'),
      h('span', { class: 'btn-label' }, enabled ? 'Set up a new authenticator app' : 'Set up an authenticator app'));
    start.addEventListener('click', () => busy(start, async () => {
      try {
        const enrollment = await api.post('/me/second-factor/totp');
        showEnroll(enrollment);
      } catch (err) {
        report(err);
      }
    }, 'Starting…'));
    fill(body,
      h('p', { class: 'card-lead' }, enabled
        ? 'Two-step sign-in is on for your account.'
        : 'Use an app such as Google Authenticator, Microsoft Authenticator or 1Password for a code at each sign-in.'),
      h('div', { class: 'form-actions' }, start));
  }

  function showEnroll({ secret, otpauth_uri: uri }) {
    const grouped = String(secret).replace(/\s+/g, '').replace(/(.{4})/g, '$1 ').trim();
    const copy = h('button', { type: 'button', class: 'button subtle small' }, 'Copy key');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(String(secret));
        notify('Key copied.', { kind: 'success', timeout: 3000 });
      } catch {
        notify('Copying is not allowed here. Select the key and copy it yourself.');
      }
    });
    const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '16', spellcheck: 'false' });
    const confirm = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Confirm code'));
    const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel');
    cancel.addEventListener('click', () => showIntro());
    const form = h('form', { class: 'form form-row', novalidate: true },
      field('Code from your app', code).wrap,
      h('div', { class: 'form-actions' }, confirm, cancel));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = code.value.replace(/\s+/g, '');
      if (!value) {
        notify('Enter the 6-digit code your app shows.');
        code.focus();
        return;
      }
      busy(confirm, async () => {
        try {
          const result = await api.post('/me/second-factor/totp/confirm', { code: value });
          if (state.me) state.me.has_second_factor = true;
          // The app continues (a restricted session opens up) only once the codes are saved.
          showRecoveryCodes(result.recovery_codes || [], onEnabled);
        } catch (err) {
          report(err);
          code.select();
        }
      }, 'Checking…');
    });
    const openLink = /^otpauth:\/\//.test(uri)
      ? h('a', { href: uri, class: 'button subtle small' }, 'Open in authenticator app')
      : null;
    fill(body,
      h('ol', { class: 'steps' },
        h('li', null, h('div', { class: 'step' },
          h('p', null, 'In your authenticator app, add an account and enter this key:'),
          h('p', { class: 'secret' }, h('code', { class: 'mono' }, grouped)),
          h('p', { class: 'uri' }, 'Or use this setup address: ', h('span', { class: 'mono break' }, uri)),
          h('div', { class: 'form-actions' }, copy, openLink))),
        h('li', null, h('div', { class: 'step' }, h('p', null, 'Enter the 6-digit code the app shows:'), form))));
    code.focus();
  }

  function showRecoveryCodes(codes, onDone) {
    const copy = h('button', { type: 'button', class: 'button subtle small' }, 'Copy codes');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(codes.join('\n'));
        notify('Recovery codes copied.', { kind: 'success', timeout: 3000 });
      } catch {
        notify('Copying is not allowed here. Write the codes down.');
      }
    });
    const done = h('button', { type: 'button', class: 'button primary' }, 'I have saved them');
    done.addEventListener('click', () => {
      codes.length = 0;
      showIntro();
      onDone();
    });
    const heading = h('p', { class: 'callout-title', tabindex: '-1' }, 'Two-step sign-in is on. Save your recovery codes.');
    fill(body,
      h('div', { class: 'callout callout-success' }, icon('check'),
        h('div', null,
          heading,
          h('p', null, 'Each code signs you in once if you lose your phone. They are shown only now.'))),
      h('ul', { class: 'recovery-codes', 'aria-label': 'Recovery codes' }, codes.map((c) => h('li', null, h('code', { class: 'mono' }, c)))),
      h('div', { class: 'form-actions' }, copy, done));
    heading.focus();
  }

  showIntro();
  return section;
}

// -- notifications ---------------------------------------------------------------------------
function notificationsCard() {
  const body = h('div');
  const section = card('Notifications', body);
  const supported = 'Notification' in window && 'serviceWorker' in navigator && 'PushManager' in window;

  const registration = () => Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error('The app’s service worker is not running. Reload and try again.')), 8000)),
  ]);

  async function currentSubscription() {
    const reg = await navigator.serviceWorker.getRegistration('/app/');
    return reg && reg.pushManager ? reg.pushManager.getSubscription() : null;
  }

  async function render() {
    const lead = h('p', { class: 'card-lead' }, 'Notifications never say who wrote or what: only “New secure message”. While you are in session, non-urgent ones wait until it ends.');
    if (!supported) {
      fill(body, lead, h('p', { class: 'card-note' }, 'This browser cannot show notifications from Quietline.'));
      return;
    }
    if (Notification.permission === 'denied') {
      fill(body, lead, h('p', { class: 'card-note' }, 'Notifications are blocked for Quietline in this browser’s site settings. Allow them there, then come back.'));
      return;
    }
    let sub = null;
    try {
      sub = Notification.permission === 'granted' ? await currentSubscription() : null;
    } catch {
      sub = null;
    }
    if (sub) {
      const off = h('button', { type: 'button', class: 'button subtle' }, icon('bell'), h('span', { class: 'btn-label' }, 'Turn off notifications'));
      off.addEventListener('click', () => busy(off, async () => {
        try {
          await api.del('/me/push-subscription');
          await sub.unsubscribe().catch(() => {});
          notify('Notifications are off on this device.', { kind: 'success' });
          render().catch(() => {});
        } catch (err) {
          report(err);
        }
      }));
      fill(body, lead, h('p', { class: 'state-line' }, h('span', { class: 'tag tag-on' }, 'On'), ' for this device'), h('div', { class: 'form-actions' }, off));
      return;
    }
    const onButton = h('button', { type: 'button', class: 'button secondary' }, icon('bell'), h('span', { class: 'btn-label' }, 'Turn on notifications'));
    onButton.addEventListener('click', () => busy(onButton, async () => {
      try {
        await enable();
        notify('Notifications are on for this device.', { kind: 'success' });
      } catch (err) {
        if (err instanceof api.Problem) report(err);
        else notify(err && err.message ? err.message : 'Notifications could not be turned on.');
      }
      render().catch(() => {});
    }, 'Turning on…'));
    fill(body, lead, h('p', { class: 'state-line' }, h('span', { class: 'tag' }, 'Off'), ' for this device'), h('div', { class: 'form-actions' }, onButton));
  }

  async function enable() {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') throw new Error('Notifications were not allowed.');
    const reg = await registration();
    const { public_key: key } = await api.get('/push/vapid-key');
    const serverKey = new Uint8Array(api.b64urlToBuffer(key));
    let sub = await reg.pushManager.getSubscription();
    if (sub) {
      const current = sub.options && sub.options.applicationServerKey ? new Uint8Array(sub.options.applicationServerKey) : null;
      const same = current && current.length === serverKey.length && current.every((b, i) => b === serverKey[i]);
      if (!same) {
        await sub.unsubscribe();
        sub = null;
      }
    }
    if (!sub) {
      try {
        sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
      } catch (err) {
        throw new Error(`This browser could not subscribe to notifications${err && err.name === 'AbortError' ? ' (its push service is not reachable)' : ''}.`);
      }
    }
    const json = sub.toJSON();
    await api.put('/me/push-subscription', { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } });
  }

  render().catch(() => {});
  return section;
}

// -- quick replies (owners and admins) -----------------------------------------------------
function quickRepliesCard(offs) {
  const MAX = 20;
  let replies = state.quickReplies.slice();
  const list = h('ol', { class: 'plain-list reply-editor' });
  const addButton = h('button', { type: 'button', class: 'button subtle small' }, icon('plus'), h('span', null, 'Add a quick reply'));
  const save = h('button', { type: 'submit', class: 'button primary' }, h('span', { class: 'btn-label' }, 'Save quick replies'));
  const form = h('form', { class: 'form', novalidate: true }, list, h('div', { class: 'form-actions' }, addButton, save));
  let dirty = false;

  function render(focusIndex) {
    list.replaceChildren(...replies.map((text, i) => {
      const input = h('input', { type: 'text', maxlength: '200', value: text, autocomplete: 'off' });
      input.addEventListener('input', () => {
        replies[i] = input.value;
        dirty = true;
      });
      const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': `Remove quick reply ${i + 1}` }, icon('close'));
      remove.addEventListener('click', () => {
        replies.splice(i, 1);
        dirty = true;
        render(Math.min(i, replies.length - 1));
      });
      const f = field(`Quick reply ${i + 1}`, input);
      return h('li', { class: 'reply-row' }, f.wrap, remove);
    }));
    addButton.hidden = replies.length >= MAX;
    if (focusIndex !== undefined && focusIndex >= 0) list.querySelectorAll('input')[focusIndex]?.focus();
    else if (focusIndex !== undefined) addButton.focus();
  }

  addButton.addEventListener('click', () => {
    if (replies.length >= MAX) return;
    replies.push('');
    dirty = true;
    render(replies.length - 1);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const clean = replies.map((r) => r.trim()).filter(Boolean);
    busy(save, async () => {
      try {
        const result = await api.put('/practice/quick-replies', { replies: clean });
        state.quickReplies = Array.isArray(result && result.replies) ? result.replies.slice() : clean;
        replies = state.quickReplies.slice();
        dirty = false;
        emit('quick-replies');
        render();
        notify('Quick replies saved for everyone in the practice.', { kind: 'success' });
      } catch (err) {
        report(err);
      }
    }, 'Saving…');
  });
  offs.push(on('quick-replies', () => {
    if (!dirty) {
      replies = state.quickReplies.slice();
      render();
    }
  }));
  loadQuickReplies().catch(() => {});
  render();
  return card('Quick replies',
    h('p', { class: 'card-lead' }, `Short answers everyone in the practice can send with one tap (up to ${MAX}, 200 characters each).`),
    form);
}
