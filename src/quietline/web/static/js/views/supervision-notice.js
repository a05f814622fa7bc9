// What a client thread's members see of supervision (decision 0021): "Dr. Lee viewed this
// thread as supervisor on <time>", from GET /conversations/{id}/supervision-views when the
// thread opens, and at once on the WebSocket's `supervision.viewed` event (main.js emits
// `supervision:<conversation id>`). Ids and times only come from the server; the names are
// the directory's. Kept small: thread.js loads it at start-up.

import * as api from '../api.js';
import { formatFull, h, icon } from '../dom.js';
import { on, userName } from '../state.js';

const SHOWN = 3; // the newest views; the rest are counted

/** {el, start(), destroy()}: start() once the thread is known to be a client thread the
 * person is a member of (anyone else gets a 404 from the server, and sees nothing). */
export function supervisionNotice(conversationId) {
  const el = h('div', { class: 'supervision-notice', role: 'status', hidden: true });
  let views = [];
  let started = false;
  let gone = false;
  let request = 0;
  const offs = [];

  function render() {
    if (gone) return;
    el.hidden = !views.length;
    if (!views.length) {
      el.replaceChildren();
      return;
    }
    const lines = views.slice(0, SHOWN).map((v) => h('p', null,
      `${userName(v.viewer_id)} viewed this thread as supervisor on ${formatFull(v.started_at)}.`));
    const more = views.length - SHOWN;
    if (more > 0) lines.push(h('p', { class: 'supervision-more' }, `${more} earlier ${more === 1 ? 'view' : 'views'} by supervisors.`));
    el.replaceChildren(icon('shield'), h('div', null, lines));
  }

  async function load() {
    const n = ++request;
    try {
      const list = await api.get(`/conversations/${api.seg(conversationId)}/supervision-views`);
      if (gone || n !== request) return;
      views = Array.isArray(list) ? list : [];
      render();
    } catch {
      /* not a member (404) or offline: nothing to show */
    }
  }

  return {
    el,
    start() {
      if (started || gone) return;
      started = true;
      offs.push(on(`supervision:${conversationId}`, (f) => {
        if (f && f.view_id && !views.some((v) => v.id === f.view_id)) {
          views = [{ id: f.view_id, viewer_id: f.viewer_id, started_at: f.started_at }, ...views];
          render();
        }
        load();
      }));
      offs.push(on('users', render));
      load();
    },
    destroy() {
      gone = true;
      offs.forEach((off) => off());
      views = [];
    },
  };
}
