/**
 * The service worker of key-event notifications (docs/notifications.md), served at /push-sw.js and
 * registered once per blog (scope /push/<blogId>/, so each blog has its own subscription). It only
 * shows what a push carries, as text (a notification renders no HTML), and opens its link when clicked;
 * and when the browser replaces the subscription, it subscribes again and tells the service.
 */
import type { PushMessage } from '../../shared/schemas';

// The page's TypeScript library is the DOM's; these are the few service-worker types used here.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown } | null;
}
/** The browser replaced (or dropped) the subscription: a push service's renewal, an expiry. */
interface PushSubscriptionChangeEvent extends ExtendableEvent {
  oldSubscription: PushSubscription | null;
  newSubscription: PushSubscription | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification & { data: unknown };
}
interface WindowClient {
  url: string;
  focus(): Promise<WindowClient>;
}
interface ServiceWorkerScope {
  registration: ServiceWorkerRegistration;
  clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  location: Location;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
  addEventListener(type: 'pushsubscriptionchange', listener: (event: PushSubscriptionChangeEvent) => void): void;
}
const worker = self as unknown as ServiceWorkerScope;

const text = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;

/** The payload as the service sends it, or null: a message of another shape is not shown. */
function parse(event: PushEvent): PushMessage | null {
  let message: Partial<PushMessage>;
  try {
    message = (event.data?.json() ?? {}) as Partial<PushMessage>;
  } catch {
    return null;
  }
  const { blogId, updateId, title, body, url } = message;
  if (!text(blogId, 64) || !text(updateId, 64) || !text(title, 300) || !text(body, 1000) || !text(url, 2000)) return null;
  // Only links to this service: a notification never sends the reader elsewhere.
  if (new URL(url, worker.location.href).origin !== worker.location.origin) return null;
  return { blogId, updateId, title, body, url };
}

worker.addEventListener('push', (event) => {
  const message = parse(event);
  if (!message) return;
  event.waitUntil(
    worker.registration.showNotification(message.title, {
      body: message.body,
      // One notification per update: a repeated push replaces it rather than adding another.
      tag: `${message.blogId}:${message.updateId}`,
      data: { url: message.url },
    }),
  );
});

worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: unknown } | null)?.url;
  if (typeof url !== 'string') return;
  event.waitUntil(
    worker.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((tabs) => {
      const open = tabs.find((tab) => tab.url === url);
      return open ? open.focus() : worker.clients.openWindow(url);
    }),
  );
});

/** The blog's subscriptions route: the registration's scope, /push/<blogId>/, names the blog. */
function subscriptionsPath(): string | null {
  const match = /^\/push\/([^/]+)\/$/.exec(new URL(worker.registration.scope).pathname);
  // The page registered the scope with the blog id URL-encoded already.
  return match ? `/api/blogs/${match[1]}/push-subscriptions` : null;
}

/** The service's VAPID public key now (it may have been rotated since the old subscription), or null. */
async function serviceKey(): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    const response = await fetch('/api/push/public-key');
    const { publicKey } = (response.ok ? await response.json() : {}) as { publicKey?: unknown };
    if (typeof publicKey !== 'string') return null;
    const binary = atob(publicKey.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Subscribes again (unless the browser gave the new subscription) with the service's key, or else the
 * old subscription's, stores the new one and removes the old: pushes keep coming with no page open.
 */
async function resubscribe(old: PushSubscription | null, given: PushSubscription | null): Promise<void> {
  const path = subscriptionsPath();
  if (!path) return;
  let subscription = given;
  if (!subscription) {
    const applicationServerKey = (await serviceKey()) ?? old?.options.applicationServerKey ?? null;
    if (!applicationServerKey) return;
    subscription = await worker.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  }
  const send = async (method: string, body: unknown): Promise<void> => {
    const response = await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  };
  await send('POST', subscription);
  if (old && old.endpoint !== subscription.endpoint) await send('DELETE', { endpoint: old.endpoint });
}

worker.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription));
});
