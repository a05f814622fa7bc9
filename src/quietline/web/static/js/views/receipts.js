// Receipts under your own messages: "Sent", "Delivered", "Seen by Dana 2:04 pm" (direct) and
// a "Seen by N of M" button in groups that lists who saw it and when.
//
// Data: GET /conversations/{id}/receipts?since_seq=N ({members, marks}) plus receipt.updated
// events. Member u saw message s at the time of u's first `seen` mark with up_to_seq >= s.

import { formatWhen, h, hueClass, initials, openDialog } from '../dom.js';
import { state, userName } from '../state.js';

function firstMark(r, userId, seq, kinds) {
  for (const mark of r.marks) {
    if (mark.user_id === userId && kinds.includes(mark.kind) && mark.up_to_seq >= seq) return mark;
  }
  return null;
}

/** For each other member: {userId, seenAt, deliveredAt, seen, delivered} for message `seq`. */
export function receiptRows(c, seq) {
  const r = state.receipts.get(c.id);
  const me = state.me ? state.me.id : null;
  const others = (c.member_ids || []).filter((id) => id !== me);
  return others.map((userId) => {
    const cursor = r ? r.members.get(userId) : null;
    const seen = !!cursor && cursor.seen_seq >= seq;
    const delivered = seen || (!!cursor && cursor.delivered_seq >= seq);
    const seenMark = r && seen ? firstMark(r, userId, seq, ['seen']) : null;
    const deliveredMark = r && delivered ? firstMark(r, userId, seq, ['delivered', 'seen']) : null;
    return {
      userId,
      seen,
      delivered,
      seenAt: seenMark ? seenMark.at : null,
      deliveredAt: deliveredMark ? deliveredMark.at : null,
    };
  });
}

/** A short key of what the receipt shows, so the message row is only redrawn on change. */
export function receiptKey(c, m) {
  const rows = receiptRows(c, m.seq);
  return rows.map((r) => `${r.seen ? 's' : r.delivered ? 'd' : '-'}${r.seenAt || ''}`).join(',');
}

/** The receipt element under one of your own messages. */
export function receiptNode(c, m) {
  const rows = receiptRows(c, m.seq);
  if (c.kind === 'direct' || rows.length <= 1) {
    const row = rows[0];
    if (!row) return h('span', { class: 'receipt' }, 'Sent');
    if (row.seen) {
      const when = row.seenAt ? ` ${formatWhen(row.seenAt)}` : '';
      return h('span', { class: 'receipt receipt-seen' }, `Seen by ${userName(row.userId)}${when}`);
    }
    if (row.delivered) return h('span', { class: 'receipt receipt-delivered' }, 'Delivered');
    return h('span', { class: 'receipt' }, 'Sent');
  }
  const seenCount = rows.filter((r) => r.seen).length;
  const button = h('button', { type: 'button', class: ['receipt-button', seenCount && 'receipt-seen'], 'aria-haspopup': 'dialog' },
    `Seen by ${seenCount} of ${rows.length}`);
  button.addEventListener('click', () => openSeenList(c, m));
  return button;
}

/** Who saw a group message, and when; who it reached; who it has not reached yet. */
export function openSeenList(c, m) {
  openDialog('Seen by', (body) => {
    const rows = receiptRows(c, m.seq).sort((a, b) => {
      const rank = (r) => (r.seen ? 0 : r.delivered ? 1 : 2);
      if (rank(a) !== rank(b)) return rank(a) - rank(b);
      if (a.seenAt && b.seenAt) return new Date(a.seenAt) - new Date(b.seenAt);
      return userName(a.userId).localeCompare(userName(b.userId));
    });
    const seen = rows.filter((r) => r.seen).length;
    body.appendChild(h('p', { class: 'dialog-lead' }, `${seen} of ${rows.length} ${rows.length === 1 ? 'person has' : 'people have'} seen this message.`));
    const list = h('ul', { class: 'seen-list' });
    for (const r of rows) {
      const name = userName(r.userId);
      let text = 'Not delivered yet';
      if (r.seen) text = r.seenAt ? `Seen ${formatWhen(r.seenAt)}` : 'Seen';
      else if (r.delivered) text = r.deliveredAt ? `Delivered ${formatWhen(r.deliveredAt)}, not seen yet` : 'Delivered, not seen yet';
      list.appendChild(h('li', { class: ['seen-row', r.seen ? 'is-seen' : r.delivered ? 'is-delivered' : 'is-waiting'] },
        h('span', { class: ['avatar', 'avatar-small', hueClass(r.userId)], 'aria-hidden': 'true' }, initials(name)),
        h('span', { class: 'seen-name' }, name),
        h('span', { class: 'seen-when' }, text)));
    }
    body.appendChild(list);
  }, { className: 'dialog-seen' });
}
