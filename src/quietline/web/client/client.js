// The secure client page (docs/decisions/0019-secure-client-page.md). A plain ES module,
// no build step, no third-party code.
//
// What it never does: store anything in the browser (no localStorage, sessionStorage,
// IndexedDB, Cache Storage, cookies of its own or service worker), put a token in a URL
// it requests, or write HTML from strings (Trusted Types would refuse it anyway). The
// link's token is read from the fragment, removed from the address bar at once and posted
// in a JSON body; the session lives in an HttpOnly cookie; the CSRF token in this module.

const API = '/client-api';
const POLL_MS = 4000;
const IDLE_CHECK_MS = 5000;
const WARN_BEFORE_MS = 60_000;
const TOKEN_RE = /^[A-Za-z0-9_-]{16,200}$/;
const GENERIC_FAILURE = 'Something went wrong. Try again, or call the office.';
const OFFLINE = 'We could not reach the server. Check your connection and try again.';

const state = {
  linkToken: null,
  csrf: null,
  signedIn: false,
  destinations: [],
  channel: null,
  dobRequired: false,
  lastSeq: 0,
  seenSeq: 0,
  idleMinutes: 10,
  lastActivity: Date.now(),
  activeSinceRequest: false,
  warned: false,
  polling: false,
  pollTimer: 0,
  idleTimer: 0,
  endTimer: 0,
  pending: new Map(), // idempotency key -> {text, element}
};

const $ = (id) => document.getElementById(id);

class Problem extends Error {
  constructor(status, detail, data) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.data = data || {};
  }
}

// -- talking to the server ---------------------------------------------------------------

async function call(method, path, body, { session = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (session) headers['x-csrf-token'] = state.csrf || '';
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new Problem(0, OFFLINE);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === 'string' ? data.detail : GENERIC_FAILURE;
    throw new Problem(response.status, detail, data);
  }
  return data;
}

function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'page-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// -- screens and notices -------------------------------------------------------------------

const SCREENS = [
  'screen-loading',
  'screen-problem',
  'screen-send',
  'screen-verify',
  'screen-thread',
  'screen-signed-out',
];

function show(screen, { focus = true } = {}) {
  for (const id of SCREENS) $(id).hidden = id !== screen;
  if (focus) {
    const heading = $(screen).querySelector('h1');
    if (heading) heading.focus();
  }
}

function notice(text, kind = 'problem') {
  const box = $('notice');
  box.className = kind === 'info' ? 'notice info' : 'notice';
  box.textContent = text;
}

function clearNotice() {
  $('notice').textContent = '';
}

function showProblem(text, title = 'This link does not work') {
  clearNotice();
  $('problem-title').textContent = title;
  $('problem-text').textContent = text;
  show('screen-problem');
}

function busy(button, on) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
}

// -- opening the link ------------------------------------------------------------------------

function takeTokenFromAddress() {
  const fragment = location.hash.length > 1 ? location.hash.slice(1) : '';
  if (location.hash || location.search) {
    // Out of the address bar and the history entry at once.
    history.replaceState(null, '', location.pathname);
  }
  return TOKEN_RE.test(fragment) ? fragment : null;
}

async function begin() {
  const token = takeTokenFromAddress();
  if (token === null) {
    if (!state.signedIn) {
      showProblem(
        'This page opens from the link in your text or e-mail. Open that link again.',
        'Open the link from your message',
      );
    }
    return;
  }
  if (state.signedIn) endSession(null, 'signed_out');
  state.linkToken = token;
  show('screen-loading', { focus: false });
  try {
    const start = await call('POST', '/start', { token });
    $('practice-name').textContent = start.practice_name;
    state.destinations = start.destinations;
    state.dobRequired = start.date_of_birth_required;
    if (!start.destinations.length) {
      showProblem(
        'We cannot send you a code: the office has no mobile number or e-mail address ' +
          'for you that we may use. Please call the office.',
        'We cannot check it is you',
      );
      return;
    }
    renderDestinations(start.destinations);
    $('dob-field').hidden = !state.dobRequired;
    show('screen-send');
  } catch (problem) {
    state.linkToken = null;
    showProblem(problem.detail);
  }
}

function renderDestinations(destinations) {
  const box = $('destinations');
  for (const old of box.querySelectorAll('.choice')) old.remove();
  destinations.forEach((d, i) => {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'channel';
    input.value = d.channel;
    input.checked = i === 0;
    label.append(input, document.createTextNode(d.label));
    box.append(label);
  });
}

async function sendCode(button, again) {
  const chosen = document.querySelector('input[name="channel"]:checked');
  state.channel = chosen ? chosen.value : state.channel;
  busy(button, true);
  try {
    const sent = await call('POST', '/code', { token: state.linkToken, channel: state.channel });
    $('sent-to').textContent = `We sent your code by ${sent.destination.label}.`;
    if (again) notice('We sent a new code. Use the newest one.', 'info');
    else clearNotice();
    show('screen-verify', { focus: false });
    $('code').focus();
  } catch (problem) {
    if (problem.status === 410) showProblem(problem.detail);
    else notice(problem.detail);
  } finally {
    busy(button, false);
  }
}

async function verify(button) {
  const code = $('code').value.replace(/\s/g, '');
  if (!/^\d{6}$/.test(code)) {
    notice('Enter the 6 digits of your code.');
    $('code').focus();
    return;
  }
  const dob = $('dob').value.trim();
  if (state.dobRequired && !dob) {
    notice('Enter your date of birth as well, for example 03/14/1990.');
    $('dob').focus();
    return;
  }
  busy(button, true);
  try {
    const out = await call('POST', '/verify', {
      token: state.linkToken,
      code,
      date_of_birth: state.dobRequired ? dob : null,
    });
    state.csrf = out.csrf_token;
    state.linkToken = null;
    $('code').value = '';
    $('dob').value = '';
    clearNotice();
    await openThread();
  } catch (problem) {
    $('code').value = '';
    if (problem.status === 410 || problem.data.link_locked) {
      state.linkToken = null;
      showProblem(problem.detail);
    } else {
      notice(problem.detail);
      $('code').focus();
    }
  } finally {
    busy(button, false);
  }
}

// -- the thread ----------------------------------------------------------------------------------

async function openThread() {
  const thread = await call('GET', '/thread', undefined, { session: true });
  state.signedIn = true;
  state.lastActivity = Date.now();
  $('sign-out').hidden = false;
  show('screen-thread');
  applyThread(thread);
  state.idleTimer = setInterval(checkIdle, IDLE_CHECK_MS);
  schedulePoll();
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});

function byline(message) {
  if (message.from_client) return 'From you';
  if (message.author === 'Automatic reply') return 'Automatic reply from your care team';
  return `From ${message.author}, your care team`;
}

function messageElement(message) {
  const item = document.createElement('li');
  item.className = message.from_client ? 'message mine' : 'message';
  item.dataset.seq = String(message.seq);
  const who = document.createElement('p');
  who.className = 'who';
  who.textContent = byline(message);
  const body = document.createElement('p');
  body.className = 'body';
  body.textContent = message.body;
  const time = document.createElement('time');
  time.className = 'time';
  time.dateTime = message.sent_at;
  time.textContent = timeFormat.format(new Date(message.sent_at));
  item.append(who, body, time);
  return item;
}

function addMessage(message) {
  const list = $('messages');
  if (list.querySelector(`li[data-seq="${message.seq}"]`)) return;
  const element = messageElement(message);
  // In seq order; messages still being sent stay last.
  const later = Array.from(list.children).find(
    (li) => !li.dataset.seq || Number(li.dataset.seq) > message.seq,
  );
  list.insertBefore(element, later || null);
}

function applyThread(thread) {
  if (!state.signedIn) return;
  $('practice-name').textContent = thread.practice_name;
  state.idleMinutes = thread.idle_minutes;
  const list = $('messages');
  const count = list.children.length;
  const nearEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  for (const message of thread.messages) addMessage(message);
  if (list.children.length > count && (count === 0 || nearEnd) && list.lastElementChild) {
    list.lastElementChild.scrollIntoView({ block: 'end' });
  }
  // Messages the care team recalled (or that expired) leave the page.
  const readable = new Set(thread.readable_seqs);
  const complete = thread.readable_seqs.length < 100;
  const oldest = thread.readable_seqs.length ? thread.readable_seqs[0] : 0;
  for (const li of Array.from($('messages').children)) {
    if (!li.dataset.seq) continue;
    const seq = Number(li.dataset.seq);
    if (!readable.has(seq) && (complete || seq >= oldest)) li.remove();
  }
  state.lastSeq = Math.max(state.lastSeq, thread.last_seq);
  state.seenSeq = Math.max(state.seenSeq, thread.seen_seq);
  renderAppointments(thread.appointments);
  $('empty').hidden = $('messages').children.length > 0;
  clearTimeout(state.endTimer);
  const endsIn = new Date(thread.ends_at).getTime() - Date.now();
  state.endTimer = setTimeout(
    () =>
      endSession(
        'For your privacy, this secure page signs you out after a while. Open the link in ' +
          'your message again to continue.',
        'signed_out',
      ),
    Math.max(endsIn, 1000),
  );
  markSeen();
}

const STATUS_WORDS = {
  confirmed: 'You confirmed this appointment.',
  reschedule_requested: 'You asked to reschedule. The office will contact you.',
  scheduled: '',
};

function renderAppointments(appointments) {
  const list = $('appointment-list');
  list.replaceChildren();
  for (const a of appointments) {
    const item = document.createElement('li');
    item.className = 'appointment';
    const when = document.createElement('p');
    when.className = 'when';
    when.textContent = a.starts_label;
    const what = document.createElement('p');
    what.textContent = `${a.length_minutes} minutes with ${a.clinician}`;
    item.append(when, what);
    let words = STATUS_WORDS[a.status] || '';
    if (!words && a.may_answer) words = 'Please let us know if this time still works.';
    if (words) {
      const status = document.createElement('p');
      status.className = 'status';
      status.textContent = words;
      item.append(status);
    }
    if (a.may_answer) {
      const actions = document.createElement('div');
      actions.className = 'actions';
      if (a.status !== 'confirmed') {
        actions.append(answerButton(a, 'confirm', 'Confirm', 'primary'));
      }
      if (a.status !== 'reschedule_requested') {
        actions.append(answerButton(a, 'reschedule', 'I need to reschedule', 'secondary'));
      }
      item.append(actions);
    }
    list.append(item);
  }
  $('appointments').hidden = appointments.length === 0;
}

function answerButton(appointment, answer, text, kind) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = kind;
  button.textContent = text;
  button.setAttribute('aria-label', `${text}: ${appointment.starts_label}`);
  button.addEventListener('click', async () => {
    busy(button, true);
    try {
      const thread = await call(
        'POST',
        `/appointments/${encodeURIComponent(appointment.id)}/answer`,
        { answer, after_seq: state.lastSeq },
        { session: true },
      );
      applyThread(thread);
      notice(
        answer === 'confirm'
          ? 'Thank you. Your appointment is confirmed.'
          : 'Thank you. We told your care team you need a new time.',
        'info',
      );
    } catch (problem) {
      if (!sessionProblem(problem)) notice(problem.detail);
    } finally {
      busy(button, false);
    }
  });
  return button;
}

// -- polling, seen ---------------------------------------------------------------------------------

function schedulePoll() {
  clearTimeout(state.pollTimer);
  if (!state.signedIn || document.visibilityState !== 'visible') return;
  state.pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  if (!state.signedIn || state.polling) return;
  state.polling = true;
  const active = state.activeSinceRequest;
  state.activeSinceRequest = false;
  try {
    const thread = await call(
      'GET',
      `/thread?after=${state.lastSeq}&active=${active ? 'true' : 'false'}`,
      undefined,
      { session: true },
    );
    if ($('notice').textContent === OFFLINE) clearNotice();
    applyThread(thread);
  } catch (problem) {
    if (active) state.activeSinceRequest = true;
    if (!sessionProblem(problem)) notice(problem.detail);
  } finally {
    state.polling = false;
    schedulePoll();
  }
}

async function markSeen() {
  if (!state.signedIn || document.visibilityState !== 'visible') return;
  const target = state.lastSeq;
  if (target <= state.seenSeq) return;
  state.seenSeq = target;
  try {
    const out = await call('POST', '/seen', { up_to_seq: target }, { session: true });
    state.seenSeq = Math.max(state.seenSeq, out.seen_seq);
  } catch (problem) {
    sessionProblem(problem);
  }
}

// -- replying ----------------------------------------------------------------------------------------

async function sendReply(key, text) {
  let entry = state.pending.get(key);
  if (!entry) {
    const element = messageElement({
      from_client: true,
      seq: 0,
      body: text,
      sent_at: new Date().toISOString(),
      author: 'You',
    });
    delete element.dataset.seq;
    element.querySelector('.time').textContent = 'Sending…';
    $('messages').append(element);
    $('empty').hidden = true;
    entry = { text, element };
    state.pending.set(key, entry);
  }
  const { element } = entry;
  element.classList.remove('failed');
  for (const old of element.querySelectorAll('.failure, .retry')) old.remove();
  element.querySelector('.time').textContent = 'Sending…';
  try {
    const thread = await call(
      'POST',
      '/messages',
      { body: text, idempotency_key: key, after_seq: state.lastSeq },
      { session: true },
    );
    state.pending.delete(key);
    element.remove();
    applyThread(thread);
  } catch (problem) {
    if (sessionProblem(problem)) return;
    element.classList.add('failed');
    element.querySelector('.time').textContent = '';
    const failure = document.createElement('p');
    failure.className = 'failure';
    failure.textContent = `Not sent. ${problem.detail}`;
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'retry';
    retry.textContent = 'Try again';
    // The same key: if the first try did arrive, the server keeps it once.
    retry.addEventListener('click', () => sendReply(key, text));
    element.append(failure, retry);
    notice('Your message was not sent. Tap "Try again".');
  }
}

// -- ending the session --------------------------------------------------------------------------

/** Forget everything the page showed or held: the DOM keeps nothing of the thread. */
function wipe() {
  state.signedIn = false;
  state.csrf = null;
  state.linkToken = null;
  state.lastSeq = 0;
  state.seenSeq = 0;
  state.pending.clear();
  clearTimeout(state.pollTimer);
  clearTimeout(state.endTimer);
  clearInterval(state.idleTimer);
  $('messages').replaceChildren();
  $('appointment-list').replaceChildren();
  $('appointments').hidden = true;
  $('reply').value = '';
  $('code').value = '';
  $('dob').value = '';
  $('sent-to').textContent = '';
  $('sign-out').hidden = true;
  clearNotice();
}

function endSession(message, reason) {
  const csrf = state.csrf;
  const wasSignedIn = state.signedIn;
  wipe();
  if (message) $('signed-out-text').textContent = message;
  show('screen-signed-out');
  if (wasSignedIn && csrf) {
    fetch(API + '/sign-out', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ reason }),
      credentials: 'same-origin',
      cache: 'no-store',
      keepalive: true,
    }).catch(() => {});
  }
}

/** A refusal that means the session is over: show it and wipe. */
function sessionProblem(problem) {
  const type = typeof problem.data.type === 'string' ? problem.data.type : '';
  if (problem.status === 401 || (problem.status === 403 && type.endsWith(':csrf'))) {
    state.csrf = null; // the server has ended it already: nothing to sign out of
    endSession(problem.detail, 'signed_out');
    return true;
  }
  return false;
}

function checkIdle() {
  if (!state.signedIn) return;
  const idleFor = Date.now() - state.lastActivity;
  const limit = state.idleMinutes * 60_000;
  if (idleFor >= limit) {
    endSession(
      `You were signed out after ${state.idleMinutes} minutes without activity. Open the ` +
        'link in your message again to continue.',
      'idle',
    );
  } else if (idleFor >= limit - WARN_BEFORE_MS && !state.warned) {
    state.warned = true;
    notice('For your privacy, you will be signed out in a minute. Tap anywhere to stay.', 'info');
  }
}

function activity() {
  state.lastActivity = Date.now();
  state.activeSinceRequest = true;
  if (state.warned) {
    state.warned = false;
    clearNotice();
  }
}

// -- wiring ------------------------------------------------------------------------------------------

$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sendCode($('send-button'), false);
});
$('resend-button').addEventListener('click', () => sendCode($('resend-button'), true));
$('verify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  verify($('verify-button'));
});
$('reply-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('reply').value;
  if (!text.trim()) {
    notice('Write something before sending.');
    $('reply').focus();
    return;
  }
  $('reply').value = '';
  clearNotice();
  sendReply(newKey(), text);
});
$('sign-out').addEventListener('click', () =>
  endSession('You signed out. To read your messages again, open the link in your message.', 'signed_out'),
);
for (const kind of ['pointerdown', 'keydown', 'input', 'wheel', 'touchstart']) {
  document.addEventListener(kind, activity, { passive: true, capture: true });
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    poll();
  } else {
    clearTimeout(state.pollTimer);
  }
});
// Closing the page (or leaving it) ends the session: a beacon cannot set headers, so the
// CSRF token goes in its body.
window.addEventListener('pagehide', () => {
  if (!state.signedIn || !state.csrf) return;
  const body = new Blob([JSON.stringify({ csrf_token: state.csrf, reason: 'page_closed' })], {
    type: 'text/plain',
  });
  navigator.sendBeacon(API + '/sign-out', body);
  wipe();
  show('screen-signed-out', { focus: false });
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted && !state.signedIn) show('screen-signed-out', { focus: false });
});
window.addEventListener('hashchange', () => begin());

begin();
