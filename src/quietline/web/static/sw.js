// Quietline service worker (scope /app/).
//
// * Caches ONLY the app shell (the files below) in a versioned cache. Everything else,
//   every /api/ answer included, goes to the network and is never stored.
// * The shell is fetched network-first, so a new version of the app is used as soon as the
//   server has it; the cached copy is the fallback when the device is offline. The cache is
//   filled at install and, after a wipe deleted it, when the signed-in app asks again.
// * Push: shows the payload's title and body only (the server sends exactly "Quietline" /
//   "New secure message"), with one tag so notifications replace each other.

const VERSION = 'v3';
const CACHE = `quietline-shell-${VERSION}`;
const SHELL = [
  '/app/',
  '/app/index.html',
  '/app/styles.css',
  '/app/manifest.webmanifest',
  '/app/icons/icon.svg',
  '/app/icons/icon-192.png',
  '/app/icons/icon-512.png',
  '/app/js/main.js',
  '/app/js/dom.js',
  '/app/js/api.js',
  '/app/js/socket.js',
  '/app/js/state.js',
  '/app/js/wipe.js',
  '/app/js/views/sign-in.js',
  '/app/js/views/list.js',
  '/app/js/views/thread.js',
  '/app/js/views/compose.js',
  '/app/js/views/receipts.js',
  '/app/js/views/status.js',
  '/app/js/views/devices.js',
  '/app/js/views/lock.js',
  '/app/js/views/settings.js',
  '/app/js/views/admin.js',
  '/app/js/views/join.js',
  '/app/js/zone.js',
  '/app/js/views/parts.js',
  '/app/js/views/clients.js',
  '/app/js/views/appointments.js',
  '/app/js/views/client-thread.js',
  '/app/js/views/admin-client.js',
  '/app/js/views/supervision-notice.js',
  '/app/js/views/supervision.js',
];
const SHELL_PATHS = new Set(SHELL);

/** Put the shell in the cache (one file at a time: a missing one must not stop the rest). */
async function cacheShell() {
  const cache = await caches.open(CACHE);
  await Promise.all(SHELL.map(async (path) => {
    try {
      const response = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
      if (response.ok && response.type === 'basic' && !response.redirected) await cache.put(path, response);
    } catch {
      /* offline: the app still works online */
    }
  }));
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    await cacheShell();
    await self.skipWaiting();
  })());
});

// A wipe deletes every cache; the app asks for the shell again once someone is signed in.
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'cache-shell') {
    event.waitUntil((async () => {
      if (!(await caches.has(CACHE))) await cacheShell();
    })());
  }
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('quietline-shell-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

/** The shell entry a request stands for, or null (then the worker stays out of it). */
function shellKey(request) {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return null;
  if (url.pathname.startsWith('/api/')) return null;
  if (request.mode === 'navigate' && (url.pathname === '/app' || url.pathname === '/app/' || url.pathname === '/app/index.html')) return '/app/';
  if (url.search) return null;
  return SHELL_PATHS.has(url.pathname) ? url.pathname : null;
}

self.addEventListener('fetch', (event) => {
  const key = shellKey(event.request);
  if (!key) return; // network only: the browser handles it, nothing is cached
  // Network first (a new version is used at once); the cached shell only when offline.
  // Nothing is written to the cache here: after a wipe it stays empty until the next sign-in.
  event.respondWith((async () => {
    try {
      return await fetch(event.request.mode === 'navigate' ? '/app/' : event.request, { cache: 'no-store', credentials: 'same-origin' });
    } catch (err) {
      const cached = await caches.match(key, { cacheName: CACHE }); // never creates a cache
      if (cached) return cached;
      throw err;
    }
  })());
});

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = {};
  }
  const title = typeof payload.title === 'string' && payload.title ? payload.title : 'Quietline';
  const body = typeof payload.body === 'string' && payload.body ? payload.body : 'New secure message';
  event.waitUntil(self.registration.showNotification(title, {
    body,
    tag: 'quietline',
    renotify: true,
    icon: '/app/icons/icon-192.png',
    badge: '/app/icons/icon-192.png',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      const url = new URL(client.url);
      if (url.origin === self.location.origin && url.pathname.startsWith('/app')) {
        if ('focus' in client) return client.focus();
      }
    }
    return self.clients.openWindow('/app/');
  })());
});
