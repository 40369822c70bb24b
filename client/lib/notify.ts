/**
 * **Notify me of key events** (docs/notifications.md). On the reader's own page it subscribes this
 * browser to the blog's key events (a service worker per blog, scope /push/<blogId>/); in the widget and
 * the iframe page, on another site, a browser lets neither a worker nor the permission be had, so it is
 * a link that opens the reader's page in a new tab, where the button is focused (`?notify=1`).
 * Shown only where the browser can take pushes and the service sends them (on Redis: its public key
 * answers 200; on the in-process store 503).
 */
import { api, describeError } from './api';
import { h } from './dom';

const LABEL = 'Notify me of key events';
const STOP = 'Stop notifications';
/** The query the widget's link adds: the reader's page then puts the focus on its button. */
export const NOTIFY_QUERY = 'notify';

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The service's VAPID public key, or null when it sends no pushes (or cannot be asked). */
export async function pushKey(origin: string): Promise<string | null> {
  try {
    return (await api<{ publicKey: string }>('GET', `${origin}/api/push/public-key`)).publicKey;
  } catch {
    return null;
  }
}

function place(root: HTMLElement, ...children: Node[]): HTMLElement {
  const box = h('p', { class: 'lb-notify' }, ...children);
  root.querySelector('.lb-header')?.append(box);
  return box;
}

/** Ids of the links' descriptions: unique on a host page holding several widgets. */
let linksMade = 0;

/** The widget's and the iframe page's offer: a link to the reader's page, in a new tab. */
export async function offerNotifyLink(root: HTMLElement, origin: string, blogId: string): Promise<void> {
  if (!pushSupported() || !(await pushKey(origin))) return;
  const href = `${origin}/blogs/${encodeURIComponent(blogId)}?${NOTIFY_QUERY}=1`;
  // Said to assistive technology (a description: the link's name stays its visible text): a new tab
  // is a change of context a reader should expect before pressing (WCAG 3.2.5).
  const id = `lb-notify-new-tab-${++linksMade}`;
  place(
    root,
    h('a', { class: 'lb-notify__button', href, target: '_blank', rel: 'noopener', 'aria-describedby': id }, LABEL),
    h('span', { id, hidden: true }, 'Opens in a new tab'),
  );
}

/** Resolves once the registration's worker is active (pushManager.subscribe needs one). */
function activated(registration: ServiceWorkerRegistration): Promise<void> {
  const worker = registration.installing ?? registration.waiting;
  if (registration.active || !worker) return Promise.resolve();
  return new Promise((resolve) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
    });
  });
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Whether a subscription was made with `key` (a browser that does not say is taken at its word). */
function madeWith(subscription: PushSubscription, key: string): boolean {
  const used = subscription.options?.applicationServerKey;
  if (!used) return true;
  const bytes = new Uint8Array(used);
  const current = keyBytes(key);
  return bytes.length === current.length && bytes.every((byte, index) => byte === current[index]);
}

/** Posts the browser's subscription again, or a new one when it was made with another key. */
async function renew(registration: ServiceWorkerRegistration, existing: PushSubscription, key: string, path: string): Promise<void> {
  if (madeWith(existing, key)) {
    await api('POST', path, { body: existing });
    return;
  }
  await api('DELETE', path, { body: { endpoint: existing.endpoint } });
  await existing.unsubscribe();
  const renewed = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  await api('POST', path, { body: renewed });
}

/** The reader's page: subscribe and unsubscribe here. `focus`: the reader came from the widget's link. */
export async function offerNotifications(root: HTMLElement, blogId: string, focus: boolean): Promise<void> {
  if (!pushSupported()) return;
  const key = await pushKey('');
  if (!key) return;
  const scope = `/push/${encodeURIComponent(blogId)}/`;
  const path = `/api/blogs/${encodeURIComponent(blogId)}/push-subscriptions`;
  const button = h('button', { type: 'button', class: 'lb-notify__button' }, LABEL);
  const status = h('span', { class: 'lb-notify__status', role: 'status' });
  place(root, button, status);
  const found = await navigator.serviceWorker.getRegistration(scope);
  // getRegistration answers the closest scope above too: only this blog's own counts.
  let registration = found && new URL(found.scope).pathname === scope ? found : undefined;
  const existing = await registration?.pushManager.getSubscription();
  let subscribed = !!existing;
  // The server may have dropped it (a 410 from the push service, a clean-up after a key rotation)
  // while this browser still holds it: posting it again (idempotent, and not counted against the
  // address's limit when it is still stored) brings it back. One made with another key (the service's
  // keys were changed) would only be refused: it is replaced by one with the current key (the
  // permission is already given, so nothing is asked).
  if (existing && registration)
    void renew(registration, existing, key, path).catch((error: unknown) =>
      console.warn('[liveblog] notifications: re-subscribing', error),
    );
  const show = () => (button.textContent = subscribed ? STOP : LABEL);
  show();
  if (focus) {
    button.scrollIntoView({ block: 'center' });
    button.focus();
  }

  const start = async (): Promise<void> => {
    // The browser's question may sit unanswered (and out of sight, behind another window) a while.
    if (Notification.permission !== 'granted') status.textContent = 'Waiting for your answer to the browser’s question…';
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      // `default`: the question was closed unanswered (and may be asked again); `denied`: blocked.
      status.textContent =
        permission === 'denied'
          ? 'Notifications are blocked for this site. Allow them in your browser’s site settings, then try again.'
          : 'Notifications were not turned on.';
      return;
    }
    status.textContent = '';
    registration = await navigator.serviceWorker.register('/push-sw.js', { scope });
    await activated(registration);
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    try {
      // The browser's own JSON (toJSON), so that whatever it holds is sent as it gives it.
      await api('POST', path, { body: subscription });
    } catch (error) {
      await subscription.unsubscribe();
      throw error;
    }
    subscribed = true;
    status.textContent = 'You will be notified of this blog’s key events.';
  };
  const stop = async (): Promise<void> => {
    const subscription = await registration?.pushManager.getSubscription();
    if (subscription) {
      await api('DELETE', path, { body: { endpoint: subscription.endpoint } });
      await subscription.unsubscribe();
    }
    await registration?.unregister();
    registration = undefined;
    subscribed = false;
    status.textContent = 'Notifications stopped.';
  };

  button.addEventListener('click', () => {
    button.disabled = true;
    status.textContent = '';
    (subscribed ? stop() : start())
      .catch((error: unknown) => {
        status.textContent = `Notifications could not be ${subscribed ? 'stopped' : 'turned on'}: ${describeError(error)}`;
        console.warn('[liveblog] notifications', error);
      })
      .finally(() => {
        button.disabled = false;
        show();
      });
  });
}
