// The WebSocket: {"type": "auth"} first (the session is the cookie sent with the handshake),
// reconnect with backoff, `resume` per conversation after a reconnect, coalesced `ack` and
// `seen` frames, a ping to notice dead connections. Close codes: 4401 session ended (wipe),
// 4423 locked (lock screen), 4403 refused, 4408 no auth frame, 4409 too far behind (resume).

const PING_EVERY = 25000;
const PONG_WITHIN = 10000;
const MAX_BACKOFF = 30000;

let ws = null;
let handlers = null;
let stopped = true;
let attempt = 0;
let retryTimer = 0;
let pingTimer = 0;
let pongTimer = 0;
let ready = false;
const acks = new Map(); // conversation id -> up_to_seq waiting to be sent
let ackTimer = 0;

/**
 * start({onReady, onEvent, onSessionEnded, onLocked, onStateChange})
 * onReady(frame) runs after every (re)connect; onEvent(frame) for every other frame.
 */
export function start(h) {
  handlers = h;
  stopped = false;
  attempt = 0;
  connect();
  window.addEventListener('online', nudge);
  document.addEventListener('visibilitychange', nudge);
}

/** Close for good (sign-out, wipe, lock). No reconnect. */
export function stop() {
  stopped = true;
  ready = false;
  clearTimeout(retryTimer);
  clearTimeout(ackTimer);
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  acks.clear();
  window.removeEventListener('online', nudge);
  document.removeEventListener('visibilitychange', nudge);
  if (ws) {
    const old = ws;
    ws = null;
    old.onopen = old.onmessage = old.onclose = old.onerror = null;
    try {
      old.close(1000, 'bye');
    } catch {
      /* already closed */
    }
  }
  handlers = null;
}

export const isReady = () => ready && !!ws && ws.readyState === WebSocket.OPEN;

/** Back in the foreground or back online: reconnect now instead of waiting for the backoff. */
function nudge() {
  if (stopped || document.visibilityState === 'hidden') return;
  if (!ws) {
    clearTimeout(retryTimer);
    attempt = 0;
    connect();
  } else if (ready) {
    sendFrame({ type: 'ping' });
  }
}

function connect() {
  if (stopped) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let socket;
  try {
    socket = new WebSocket(`${scheme}//${location.host}/api/v1/ws`);
  } catch {
    scheduleReconnect();
    return;
  }
  ws = socket;
  ready = false;
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: 'auth' }));
  };
  socket.onmessage = (event) => {
    if (ws !== socket) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'pong') {
      clearTimeout(pongTimer);
      return;
    }
    if (frame.type === 'ready') {
      ready = true;
      attempt = 0;
      startPing();
      handlers?.onStateChange?.(true);
      handlers?.onReady?.(frame);
      flushAcks();
      return;
    }
    if (frame.type === 'session.revoked' || frame.type === 'session.ended') {
      const h = handlers;
      stop();
      h?.onSessionEnded?.(frame);
      return;
    }
    if (frame.type === 'session.locked') {
      const h = handlers;
      stop();
      h?.onLocked?.(frame);
      return;
    }
    handlers?.onEvent?.(frame);
  };
  socket.onclose = (event) => {
    if (ws !== socket) return;
    ws = null;
    const wasReady = ready;
    ready = false;
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    if (stopped) return;
    if (event.code === 4401) {
      const h = handlers;
      stop();
      h?.onSessionEnded?.({ type: 'closed', code: 4401 });
      return;
    }
    if (event.code === 4423) {
      const h = handlers;
      stop();
      h?.onLocked?.({ type: 'closed', code: 4423 });
      return;
    }
    if (wasReady) handlers?.onStateChange?.(false);
    // 4409 (too far behind) and 4408: straight back; anything else: back off.
    if (event.code === 4409 || event.code === 4408) attempt = 0;
    if (event.code === 4403) handlers?.onRefused?.();
    scheduleReconnect(event.code === 4403);
  };
  socket.onerror = () => {
    /* onclose follows */
  };
}

function scheduleReconnect(slow = false) {
  if (stopped) return;
  clearTimeout(retryTimer);
  const base = Math.min(MAX_BACKOFF, 500 * 2 ** attempt);
  const delay = (slow ? Math.max(base, 10000) : base) * (0.75 + Math.random() * 0.5);
  attempt = Math.min(attempt + 1, 10);
  if (attempt > 1) handlers?.onStateChange?.(false);
  retryTimer = setTimeout(() => {
    if (document.visibilityState === 'hidden' && attempt > 3) {
      // Hidden: wait for the page to come back (nudge) instead of spinning.
      return;
    }
    connect();
  }, delay);
}

function startPing() {
  clearInterval(pingTimer);
  pingTimer = setInterval(() => {
    if (!isReady()) return;
    sendFrame({ type: 'ping' });
    clearTimeout(pongTimer);
    pongTimer = setTimeout(() => {
      // No answer: the connection is dead even if the browser has not noticed.
      if (ws) ws.close(4000, 'no pong');
    }, PONG_WITHIN);
  }, PING_EVERY);
}

export function sendFrame(frame) {
  if (!ws || ws.readyState !== WebSocket.OPEN || !ready) return false;
  try {
    ws.send(JSON.stringify(frame));
    return true;
  } catch {
    return false;
  }
}

/** Delivered to this device (coalesced: one frame per conversation every 250 ms). */
export function ack(conversationId, seq) {
  if (!(seq > (acks.get(conversationId) || 0))) return;
  acks.set(conversationId, seq);
  clearTimeout(ackTimer);
  ackTimer = setTimeout(flushAcks, 250);
}

function flushAcks() {
  if (!isReady()) return;
  for (const [conversation_id, up_to_seq] of acks) {
    sendFrame({ type: 'ack', conversation_id, up_to_seq });
  }
  acks.clear();
}

/** Seen in the open conversation. False when the socket is not up (the caller uses HTTP). */
export function seen(conversationId, seq) {
  return sendFrame({ type: 'seen', conversation_id: conversationId, up_to_seq: seq });
}

let lastActivityFrame = 0;
/** The person is using the app: at most one `activity` frame every 30 seconds. */
export function activity() {
  const now = Date.now();
  if (now - lastActivityFrame < 30000) return;
  if (sendFrame({ type: 'activity' })) lastActivityFrame = now;
}

/** Ask for what was missed in a conversation after `afterSeq`. */
export function resume(conversationId, afterSeq, limit = 100) {
  return sendFrame({ type: 'resume', conversation_id: conversationId, after_seq: afterSeq, limit });
}
