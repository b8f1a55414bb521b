// loyaldesk web push service worker. A service worker must be served by the site it works for, so copy
// this file to your shop's own site (for example as https://your-shop.example/loyaldesk-sw.js) and name
// that path in the widget's tag: data-push-worker="/loyaldesk-sw.js". It only shows the store's
// notifications and opens their link when clicked; it caches nothing and handles no requests.
// Served by loyaldesk at /widget/push/service-worker.js.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  const title = message.title || self.location.hostname;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: message.body || "",
      tag: message.tag || undefined,
      data: { url: message.url || "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((client) => client.url === target);
      if (open) return open.focus();
      return self.clients.openWindow(target);
    })(),
  );
});
