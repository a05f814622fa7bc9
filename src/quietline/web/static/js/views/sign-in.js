// Sign-in: practice code, email, password; then the second factor when the server asks for
// one (authenticator code, recovery code or a passkey). Only the practice code is remembered.

import * as api from '../api.js';
import { busy, field, fill, h, icon, logo, notify, report } from '../dom.js';
import { rememberedPractice, restorePractice, savePractice } from '../wipe.js';

/** The frame of the signed-out screens (sign-in, lock): a banner and one card in <main>. */
export function authFrame(screen, ...cardChildren) {
  const main = h('main', { id: 'main', class: 'auth-main', tabindex: '-1' },
    h('div', { class: 'auth-card' }, cardChildren));
  fill(screen,
    h('header', { class: 'auth-banner' }, logo(36), h('span', { class: 'brand-name' }, 'Quietline')),
    main,
    h('footer', { class: 'auth-footer' },
      h('p', null, 'Messages are encrypted on the server and erased when they expire. On a shared computer, sign out when you are done.')));
  return main;
}

/** "Chrome on Android": a short name for this device, from what the browser says about itself. */
export function deviceName() {
  const uad = navigator.userAgentData;
  const ua = navigator.userAgent || '';
  let browser = '';
  let platform = '';
  if (uad && Array.isArray(uad.brands)) {
    const names = uad.brands.map((b) => b.brand).filter((b) => !/not.?a.?brand/i.test(b));
    const preferred = ['Microsoft Edge', 'Opera', 'Brave', 'Vivaldi', 'Samsung Internet', 'Google Chrome', 'HeadlessChrome', 'Chromium'];
    browser = preferred.find((p) => names.includes(p)) || names[0] || '';
    browser = browser.replace(/^Google /, '').replace(/^Microsoft /, '');
    platform = uad.platform || '';
  }
  if (!browser) {
    if (/Edg\//.test(ua)) browser = 'Edge';
    else if (/OPR\//.test(ua)) browser = 'Opera';
    else if (/SamsungBrowser\//.test(ua)) browser = 'Samsung Internet';
    else if (/Firefox\//.test(ua)) browser = 'Firefox';
    else if (/Chrome\//.test(ua)) browser = 'Chrome';
    else if (/Safari\//.test(ua)) browser = 'Safari';
    else browser = 'Browser';
  }
  if (!platform) {
    if (/Android/.test(ua)) platform = 'Android';
    else if (/iPhone/.test(ua)) platform = 'iPhone';
    else if (/iPad/.test(ua)) platform = 'iPad';
    else if (/Mac OS X|Macintosh/.test(ua)) platform = 'Mac';
    else if (/Windows/.test(ua)) platform = 'Windows';
    else if (/CrOS/.test(ua)) platform = 'ChromeOS';
    else if (/Linux/.test(ua)) platform = 'Linux';
  }
  if (platform === 'macOS') platform = 'Mac';
  if (platform === 'Chrome OS') platform = 'ChromeOS';
  return (platform ? `${browser} on ${platform}` : browser).slice(0, 60);
}

/**
 * Render the sign-in screen into `screen`. `onSignedIn(result)` gets the answer of
 * POST /api/v1/web/sign-in ({session_id, user, ..., csrf_token}).
 */
export function renderSignIn(screen, { onSignedIn }) {
  document.title = 'Sign in · Quietline';
  let credentials = null; // kept only between the two steps, then dropped

  const showCredentials = () => {
    credentials = null;
    const practice = h('input', { type: 'text', name: 'practice', autocomplete: 'organization', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: '64', value: rememberedPractice() });
    const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: '320' });
    const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
    const submit = h('button', { type: 'submit', class: 'button primary block' }, h('span', { class: 'btn-label' }, 'Sign in'));
    const form = h('form', { class: 'form', novalidate: true },
      field('Practice code', practice, { hint: 'Your practice gave you this short code.' }).wrap,
      field('Email', email).wrap,
      field('Password', password).wrap,
      submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = {
        practice: practice.value.trim(),
        email: email.value.trim(),
        password: password.value,
        device_name: deviceName(),
      };
      if (!body.practice || !body.email || !body.password) {
        notify('Enter your practice code, email and password.');
        (!body.practice ? practice : !body.email ? email : password).focus();
        return;
      }
      busy(submit, () => attempt(body, submit), 'Signing in…');
    });
    const main = authFrame(screen,
      h('div', { class: 'auth-head' },
        h('h1', { class: 'auth-title', tabindex: '-1' }, 'Sign in'),
        h('p', { class: 'auth-lead' }, 'Secure messaging for your practice.')),
      form);
    (practice.value ? email : practice).focus();
    return main;
  };

  const showSecondFactor = (problem) => {
    const methods = Array.isArray(problem.body.methods) ? problem.body.methods : ['totp', 'recovery_code'];
    const passkeyOptions = problem.body.passkey_options || null;
    const parts = [];
    let otp = null;
    let recovery = null;
    if (methods.includes('totp')) {
      otp = h('input', { type: 'text', name: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]*', maxlength: '16', spellcheck: 'false' });
      parts.push(field('Authenticator code', otp, { hint: 'The 6-digit code from your authenticator app.' }).wrap);
    }
    if (methods.includes('recovery_code')) {
      recovery = h('input', { type: 'text', name: 'recovery', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '64' });
      if (otp) parts.push(h('p', { class: 'or' }, h('span', null, 'or')));
      parts.push(field('Recovery code', recovery, { hint: 'One of the codes you saved when you set up two-step sign-in.' }).wrap);
    }
    const submit = h('button', { type: 'submit', class: 'button primary block' }, h('span', { class: 'btn-label' }, 'Sign in'));
    const form = h('form', { class: 'form', novalidate: true }, parts, (otp || recovery) ? submit : null);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const code = otp ? otp.value.replace(/\s+/g, '') : '';
      const rc = recovery ? recovery.value.trim() : '';
      if (!code && !rc) {
        notify(otp ? 'Enter the code from your authenticator app.' : 'Enter a recovery code.');
        (otp || recovery).focus();
        return;
      }
      const body = { ...credentials };
      if (code) body.otp_code = code;
      else body.recovery_code = rc;
      busy(submit, () => attempt(body, submit), 'Checking…');
    });
    let passkeyButton = null;
    if (methods.includes('passkey') && passkeyOptions) {
      passkeyButton = h('button', { type: 'button', class: 'button secondary block' }, icon('key'), h('span', { class: 'btn-label' }, 'Use a passkey'));
      passkeyButton.addEventListener('click', () => busy(passkeyButton, async () => {
        if (!api.passkeysSupported()) {
          notify('This browser cannot use passkeys here. Use a code instead.');
          return;
        }
        let passkey;
        try {
          passkey = await api.getPasskey(passkeyOptions);
        } catch (err) {
          notify(api.passkeyErrorText(err));
          return;
        }
        await attempt({ ...credentials, passkey }, passkeyButton);
      }, 'Waiting for passkey…'));
    }
    const back = h('button', { type: 'button', class: 'button link' }, 'Start over');
    back.addEventListener('click', () => showCredentials());
    authFrame(screen,
      h('div', { class: 'auth-head' },
        h('h1', { class: 'auth-title', tabindex: '-1' }, 'Confirm it is you'),
        h('p', { class: 'auth-lead' }, 'Your account uses two-step sign-in.')),
      form,
      passkeyButton && (otp || recovery) ? h('p', { class: 'or' }, h('span', null, 'or')) : null,
      passkeyButton,
      h('div', { class: 'auth-actions' }, back));
    (otp || recovery || passkeyButton).focus();
  };

  async function attempt(body, button) {
    try {
      const result = await api.post('/web/sign-in', body, { auth401: true });
      savePractice(body.practice);
      credentials = null;
      onSignedIn(result);
    } catch (err) {
      restorePractice(); // in case the answer carried Clear-Site-Data
      if (err instanceof api.Problem && err.secondFactorRequired) {
        const wasSecond = credentials !== null;
        credentials = { practice: body.practice, email: body.email, password: body.password, device_name: body.device_name };
        if (!wasSecond) {
          showSecondFactor(err);
          return;
        }
      }
      report(err);
      if (button && button.isConnected) {
        const form = button.closest('form');
        const wrong = form && form.querySelector('input[type="password"], input[name="otp"], input[name="recovery"]');
        if (wrong && err.status === 401) {
          wrong.select?.();
        }
      }
    }
  }

  showCredentials();
}
