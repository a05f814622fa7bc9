// My devices (#/devices): every signed-in device of mine, when it was last used, and Revoke
// for the others (the device is signed out and wipes itself when it next hears from us).

import * as api from '../api.js';
import { fill, formatFull, formatRelative, h, icon, notify, report, uid } from '../dom.js';
import { on, state } from '../state.js';

function lastUsed(value) {
  const rel = formatRelative(value);
  if (rel === 'Just now' || rel === 'Yesterday') return `Last used ${rel.toLowerCase()}`;
  return `Last used ${rel}`;
}

export function mountDevices(main) {
  let devices = null;
  let destroyed = false;
  const titleId = uid('devices');
  const title = h('h1', { id: titleId, class: 'page-title', tabindex: '-1' }, 'My devices');
  const list = h('ul', { class: 'card-list device-list', 'aria-labelledby': titleId });
  const note = h('p', { class: 'empty-note' }, 'Loading your devices…');
  fill(main,
    h('section', { class: 'page-view', 'aria-labelledby': titleId },
      h('div', { class: 'page-head' }, title),
      h('p', { class: 'page-lead' },
        'These browsers and phones are signed in to your account. Revoke any you no longer use or have lost: it is signed out at once, and the app there erases what it shows.'),
      note,
      list));

  function render() {
    if (destroyed || !devices) return;
    const sorted = [...devices].sort((a, b) => {
      if (a.current !== b.current) return a.current ? -1 : 1;
      return new Date(b.last_seen_at) - new Date(a.last_seen_at);
    });
    note.hidden = sorted.length > 0;
    note.textContent = 'No devices are signed in.';
    list.replaceChildren(...sorted.map((d) => {
      const nameId = uid('dev');
      const name = d.device_name || 'Unnamed device';
      const row = h('li', { class: ['card', 'device-row', d.current && 'is-current'] },
        h('span', { class: 'device-icon', 'aria-hidden': 'true' }, icon('devices')),
        h('div', { class: 'device-main' },
          h('p', { class: 'device-name' },
            h('span', { id: nameId }, name),
            d.current ? h('span', { class: 'tag tag-current' }, 'This device') : null),
          h('p', { class: 'device-meta' },
            h('time', { datetime: new Date(d.last_seen_at).toISOString(), title: formatFull(d.last_seen_at) }, lastUsed(d.last_seen_at)),
            h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · '),
            h('span', null, `Signed in ${formatFull(d.created_at)}`))));
      if (!d.current) {
        const revoke = h('button', { type: 'button', class: 'button danger-outline small', 'aria-describedby': nameId }, 'Revoke');
        revoke.addEventListener('click', async () => {
          revoke.disabled = true;
          try {
            await api.del(`/devices/${api.seg(d.id)}`);
            devices = devices.filter((x) => x.id !== d.id);
            render();
            notify(`${name} was signed out.`, { kind: 'success' });
            title.focus();
          } catch (err) {
            report(err);
            if (revoke.isConnected) revoke.disabled = false;
          }
        });
        row.appendChild(revoke);
      }
      return row;
    }));
  }

  async function load() {
    const epoch = state.epoch;
    try {
      const result = await api.get('/me/devices');
      if (epoch !== state.epoch || destroyed) return;
      devices = result;
      render();
    } catch (err) {
      if (!destroyed) {
        note.textContent = 'Your devices could not be loaded.';
        report(err);
      }
    }
  }
  const off = on('tick', render);
  load();
  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    destroy() {
      destroyed = true;
      off();
    },
  };
}
