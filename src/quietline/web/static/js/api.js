// The one way the app talks HTTP to the server: same-origin cookie, JSON, X-CSRF-Token on
// every write, problems (RFC 9457) turned into errors whose `detail` the person can act on.
// A 401 means the session is gone (wipe); a 423 means the app is locked (lock screen).

const BASE = '/api/v1';
const PROBLEM_SECOND_FACTOR = 'urn:quietline:problem:second-factor-required';
export const PROBLEM_LOCKED = 'urn:quietline:problem:app-locked';

let csrfToken = null;
let onUnauthorized = () => {};
let onLocked = () => {};

export function setCsrf(token) {
  csrfToken = token || null;
}

export function hasCsrf() {
  return csrfToken !== null;
}

/** main.js tells api.js what to do when the session ends (401) or the app is locked (423). */
export function setSessionHandlers({ unauthorized, locked }) {
  if (unauthorized) onUnauthorized = unauthorized;
  if (locked) onLocked = locked;
}

export class Problem extends Error {
  constructor(status, body) {
    const detail = (body && typeof body.detail === 'string' && body.detail) || fallbackDetail(status);
    super(detail);
    this.name = 'Problem';
    this.status = status;
    this.detail = detail;
    this.type = (body && body.type) || 'about:blank';
    this.body = body || {};
    this.handled = false;
  }

  get secondFactorRequired() {
    return this.status === 401 && this.type === PROBLEM_SECOND_FACTOR;
  }
}

function fallbackDetail(status) {
  if (status === 0) return 'Quietline cannot reach the server. Check your connection and try again.';
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'That is no longer available.';
  if (status === 423) return 'Quietline is locked. Unlock it to continue.';
  if (status === 429) return 'Too many attempts. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return 'That did not work. Try again.';
}

/**
 * request('POST', '/conversations', {body: {...}})
 * Options: body (JSON), auth401 (a 401 is an answer here, e.g. a wrong password: do not wipe),
 * signal, keepalive, withHeaders (answer {data, headers} instead of the data alone: for paging
 * headers such as X-Next-Before-Seq).
 */
export async function request(method, path, { body, auth401 = false, signal, keepalive = false, withHeaders = false } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      signal,
      keepalive,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new Problem(0, null);
  }
  let data = null;
  if (response.status !== 204) {
    const type = response.headers.get('content-type') || '';
    if (type.includes('json')) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
  }
  if (response.ok) return withHeaders ? { data, headers: response.headers } : data;
  const problem = new Problem(response.status, data);
  if (response.status === 401 && !auth401) {
    problem.handled = true;
    onUnauthorized(problem);
  } else if (response.status === 423 || problem.type === PROBLEM_LOCKED) {
    problem.handled = true;
    onLocked(problem);
  }
  throw problem;
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });
export const patch = (path, body, options = {}) => request('PATCH', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

/** Path segment from an id (ids are UUIDs; encode anyway). */
export const seg = (id) => encodeURIComponent(String(id));

// -- WebAuthn: base64url <-> ArrayBuffer, options from JSON, credentials to JSON -------------
export function b64urlToBuffer(text) {
  const base64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function bufferToB64url(buffer) {
  if (!buffer) return null;
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function descriptors(list) {
  return (list || []).map((d) => ({ ...d, id: b64urlToBuffer(d.id) }));
}

/** PublicKeyCredentialRequestOptions from the server's JSON (challenge, allowCredentials). */
export function requestOptionsFromJSON(json) {
  const o = (json && json.publicKey) || json || {};
  const options = { ...o, challenge: b64urlToBuffer(o.challenge) };
  if (o.allowCredentials) options.allowCredentials = descriptors(o.allowCredentials);
  return options;
}

/** PublicKeyCredentialCreationOptions from the server's JSON (challenge, user.id, exclude). */
export function creationOptionsFromJSON(json) {
  const o = (json && json.publicKey) || json || {};
  const options = { ...o, challenge: b64urlToBuffer(o.challenge), user: { ...o.user, id: b64urlToBuffer(o.user.id) } };
  if (o.excludeCredentials) options.excludeCredentials = descriptors(o.excludeCredentials);
  return options;
}

/** A PublicKeyCredential (from create or get) in the WebAuthn JSON form, base64url fields. */
export function credentialToJSON(cred) {
  const r = cred.response;
  const response = { clientDataJSON: bufferToB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = bufferToB64url(r.attestationObject);
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  }
  if (r.authenticatorData) response.authenticatorData = bufferToB64url(r.authenticatorData);
  if (r.signature) response.signature = bufferToB64url(r.signature);
  if (r.userHandle) response.userHandle = bufferToB64url(r.userHandle);
  const json = {
    id: cred.id,
    rawId: bufferToB64url(cred.rawId),
    type: cred.type,
    response,
    clientExtensionResults: typeof cred.getClientExtensionResults === 'function' ? cred.getClientExtensionResults() : {},
  };
  if (cred.authenticatorAttachment) json.authenticatorAttachment = cred.authenticatorAttachment;
  return json;
}

export function passkeysSupported() {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials && window.isSecureContext;
}

/** Run navigator.credentials.get with the server's request options; the credential as JSON. */
export async function getPasskey(optionsJSON) {
  const credential = await navigator.credentials.get({ publicKey: requestOptionsFromJSON(optionsJSON) });
  if (!credential) throw new Error('No passkey was chosen.');
  return credentialToJSON(credential);
}

/** Run navigator.credentials.create with the server's creation options; the credential as JSON. */
export async function createPasskey(optionsJSON) {
  const credential = await navigator.credentials.create({ publicKey: creationOptionsFromJSON(optionsJSON) });
  if (!credential) throw new Error('No passkey was created.');
  return credentialToJSON(credential);
}

/** A sentence for a failed WebAuthn ceremony (the person cancelled, no passkey here, ...). */
export function passkeyErrorText(err) {
  if (err instanceof Problem) return err.detail;
  if (err && err.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
  if (err && err.name === 'InvalidStateError') return 'This device already has a passkey for your account.';
  if (err && err.name === 'SecurityError') return 'Passkeys need the app to be opened at its own web address (https).';
  return 'The passkey did not work. Try again or use another way.';
}
