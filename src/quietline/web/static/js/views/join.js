// Joining from an invitation link (#/join/<token>): choose a password, and the app opens
// signed in (POST /api/v1/web/join). The token lives in memory only; main.js has already
// taken it out of the address bar.

import * as api from '../api.js';
import { busy, field, h, notify, report } from '../dom.js';
import { authFrame, deviceName } from './sign-in.js';

/**
 * Render the join screen into `screen`. `onJoined(result)` gets the answer of
 * POST /api/v1/web/join ({session_id, user, ..., csrf_token}); `onSignIn()` goes to sign-in.
 */
export function renderJoin(screen, { token, onJoined, onSignIn }) {
  document.title = 'Join your practice · Quietline';
  const toSignIn = h('button', { type: 'button', class: 'button link' }, 'Go to sign-in');
  toSignIn.addEventListener('click', () => onSignIn());

  if (!token) {
    const main = authFrame(screen,
      h('div', { class: 'auth-head' },
        h('h1', { class: 'auth-title', tabindex: '-1' }, 'Open your invitation link again'),
        h('p', { class: 'auth-lead' }, 'This page needs the whole link from your invitation. Open it again from where you received it, or ask whoever invited you for a new one.')),
      h('div', { class: 'auth-actions' }, toSignIn));
    main.querySelector('h1').focus();
    return;
  }

  const password = h('input', { type: 'password', name: 'new-password', autocomplete: 'new-password', required: true, maxlength: '1024' });
  const again = h('input', { type: 'password', name: 'repeat-password', autocomplete: 'new-password', required: true, maxlength: '1024' });
  const problem = h('p', { class: 'form-problem', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary block' }, h('span', { class: 'btn-label' }, 'Join the practice'));
  const form = h('form', { class: 'form', novalidate: true },
    field('New password', password, { hint: 'At least 12 characters. You sign in with your email and this password.' }).wrap,
    field('Repeat the password', again).wrap,
    problem,
    submit);

  const showProblem = (text, focus) => {
    problem.hidden = false;
    problem.textContent = text;
    if (focus) {
      focus.setAttribute('aria-invalid', 'true');
      focus.focus();
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    password.removeAttribute('aria-invalid');
    again.removeAttribute('aria-invalid');
    problem.hidden = true;
    if (!password.value) {
      showProblem('Choose a password.', password);
      return;
    }
    if (password.value !== again.value) {
      showProblem('The two passwords are not the same. Type it again.', again);
      return;
    }
    busy(submit, async () => {
      try {
        const result = await api.post('/web/join', { token, password: password.value, device_name: deviceName() }, { auth401: true });
        password.value = '';
        again.value = '';
        notify(`Welcome to ${result.practice_name}.`, { kind: 'success' });
        await onJoined(result);
      } catch (err) {
        if (err instanceof api.Problem && !err.handled) showProblem(err.detail, err.status === 422 ? password : null);
        else report(err);
      }
    }, 'Joining…');
  });

  authFrame(screen,
    h('div', { class: 'auth-head' },
      h('h1', { class: 'auth-title', tabindex: '-1' }, 'Join your practice'),
      h('p', { class: 'auth-lead' }, 'You were invited to Quietline. Choose a password to finish; the link works only once.')),
    form,
    h('div', { class: 'auth-actions' }, toSignIn));
  password.focus();
}
