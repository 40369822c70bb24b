/**
 * Admins' webhook endpoints on the desk (docs/webhooks.md): add one (its signing secret shown once), see
 * each one's state (on, failing since when, turned off and why), its deliveries, Send test event, turn
 * one back on, remove one. Everything is built with h() and textContent: URLs, descriptions and the
 * receivers' errors are other people's text.
 */
import type { EventType, Webhook, WebhookDelivery } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import { $, h } from '../lib/dom';
import { describeError, sentence } from './errors';
import type { Session } from './session';

// Typed by the shared event types (a type import: the desk's bundle takes no zod), so a new one must be named here.
const EVENT_LABELS: Record<EventType, string> = {
  'update.created': 'Update published',
  'update.edited': 'Update edited',
  'update.deleted': 'Update deleted',
  'blog.updated': 'Blog changed',
};
const EVENT_TYPES = Object.keys(EVENT_LABELS) as EventType[];

/** The API's field names → this form's labels. */
const FIELDS: Record<string, string> = { url: 'Endpoint URL', events: 'Events', blogs: 'Blogs', description: 'Description' };

/** How often an open Deliveries table is read again. */
const DELIVERIES_REFRESH_MS = 5_000;
/** How long the desk follows a test event it sent (its outcome usually comes in well under a second). */
const FOLLOW_MS = 15_000;

const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '');

function problem(error: unknown): string {
  if (error instanceof ApiError && error.status === 400 && error.details) {
    return Object.entries(error.details)
      .map(([field, text]) => sentence(`${FIELDS[field] ?? ''} ${String(text)}`))
      .join(' ');
  }
  return describeError(error);
}

/** An endpoint's state in words. */
export function webhookState(webhook: Webhook): string {
  if (!webhook.enabled) return `Turned off ${when(webhook.disabled?.at)}: ${webhook.disabled?.reason ?? 'no reason given'}.`;
  if (webhook.failingSince) return `On, but every delivery has failed since ${when(webhook.failingSince)}.`;
  return 'On.';
}

export class Webhooks {
  private readonly section = $('#webhooks');
  private readonly body = $('#webhooks-body');
  private readonly url = h('input', { id: 'webhook-url', type: 'url', required: true, maxlength: '2000', spellcheck: 'false' });
  private readonly allEvents = h('input', { id: 'webhook-event-all', type: 'checkbox', checked: true });
  private readonly eventBoxes = EVENT_TYPES.map((type) =>
    h('input', { id: `webhook-event-${type.replace('.', '-')}`, type: 'checkbox', value: type, disabled: true }),
  );
  private readonly blogs = h('input', { id: 'webhook-blogs', type: 'text', value: '*', spellcheck: 'false' });
  private readonly description = h('input', { id: 'webhook-description', type: 'text', maxlength: '120' });
  private readonly error = h('p', { class: 'ed-error', id: 'webhook-error', role: 'alert' });
  private readonly secret = h('input', { id: 'webhook-secret', type: 'text', readonly: true, spellcheck: 'false' });
  private readonly secretBox = h('div', { class: 'ed-webhook-secret', hidden: true });
  private readonly status = h('p', { class: 'ed-webhooks-status', role: 'status' });
  // Focusable from script only: where focus goes when the control it was on is removed with its endpoint.
  private readonly list = h('ul', { class: 'ed-list ed-webhooks', 'aria-label': 'Webhook endpoints', tabindex: '-1' });
  /** The endpoint whose secret the secret box shows. */
  private secretOf?: string;
  /** Endpoints whose deliveries are open, so that a refresh keeps them open. */
  private readonly open = new Set<string>();
  private following?: ReturnType<typeof setInterval>;
  private built = false;

  constructor(private readonly session: Session) {}

  async show(): Promise<void> {
    if (!this.built) this.build();
    this.section.hidden = false;
    await this.refresh();
  }

  private build(): void {
    this.built = true;
    const form = h('form', { class: 'ed-webhook-form', 'aria-label': 'Add a webhook' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', () => {
      this.secret.select();
      navigator.clipboard?.writeText(this.secret.value).catch((error: unknown) => console.warn('[liveblog] copy failed', error));
    });
    this.secretBox.append(
      h('label', { for: 'webhook-secret' }, 'Signing secret of the new webhook, shown only once: give it to the receiver'),
      this.secret,
      copy,
    );
    this.allEvents.addEventListener('change', () => {
      for (const box of this.eventBoxes) box.disabled = this.allEvents.checked;
    });
    form.append(
      h('label', { for: 'webhook-url' }, 'Endpoint URL'),
      this.url,
      h(
        'fieldset',
        { class: 'ed-webhook-events' },
        h('legend', {}, 'Events'),
        h('label', { for: 'webhook-event-all' }, this.allEvents, ' All events, and those added later'),
        ...this.eventBoxes.map((box) => h('label', { for: box.id }, box, ` ${EVENT_LABELS[box.value as EventType]} (${box.value})`)),
      ),
      h('label', { for: 'webhook-blogs' }, 'Blogs (comma-separated; * for all)'),
      this.blogs,
      h('label', { for: 'webhook-description' }, 'Description (optional)'),
      this.description,
      h('button', { type: 'submit' }, 'Add webhook'),
      this.error,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    this.body.replaceChildren(
      h('p', { class: 'ed-hint' }, 'Each published update, edit, deletion and blog change is sent, signed, to these addresses.'),
      form,
      this.secretBox,
      this.status,
      this.list,
    );
  }

  private async refresh(): Promise<void> {
    try {
      const { webhooks } = await this.session.call<{ webhooks: Webhook[] }>('GET', '/api/webhooks');
      // The list is rebuilt: a keyboard user's focus goes back to the same control of the same endpoint
      // (its first one if that control is gone), or to the list if the endpoint is gone.
      const focused =
        document.activeElement instanceof HTMLElement && this.list.contains(document.activeElement) ? document.activeElement : null;
      const focusedId = focused?.closest<HTMLElement>('[data-webhook]')?.dataset.webhook;
      const focusedAction = focused?.dataset.action;
      this.list.replaceChildren(...webhooks.map((webhook) => this.item(webhook)));
      if (!webhooks.length) this.list.append(h('li', { class: 'ed-item' }, 'No webhooks yet.'));
      if (focused) {
        const item = [...this.list.querySelectorAll<HTMLElement>('li[data-webhook]')].find((li) => li.dataset.webhook === focusedId);
        const controls = item ? [...item.querySelectorAll<HTMLElement>('button[data-action]')] : [];
        (controls.find((control) => control.dataset.action === focusedAction) ?? controls[0] ?? this.list).focus();
      }
      for (const id of this.open) if (webhooks.some((w) => w.id === id)) void this.loadDeliveries(id);
    } catch (error) {
      this.status.textContent = describeError(error);
    }
  }

  private item(webhook: Webhook): HTMLElement {
    const label = webhook.description || webhook.url;
    const deliveriesId = `webhook-deliveries-${webhook.id}`;
    const button = (text: string, name: string, action: () => void) => {
      const element = h('button', { type: 'button', 'aria-label': `${name} ${label}`, 'data-action': name }, text);
      element.addEventListener('click', action);
      return element;
    };
    const deliveries = h('div', { id: deliveriesId, class: 'ed-webhook-deliveries', hidden: !this.open.has(webhook.id) });
    const toggle = button('Deliveries', 'Deliveries to', () => {
      const opening = deliveries.hidden;
      deliveries.hidden = !opening;
      toggle.setAttribute('aria-expanded', String(opening));
      if (opening) {
        this.open.add(webhook.id);
        void this.loadDeliveries(webhook.id);
        this.follow();
      } else this.open.delete(webhook.id);
    });
    toggle.setAttribute('aria-controls', deliveriesId);
    toggle.setAttribute('aria-expanded', String(this.open.has(webhook.id)));
    const state = webhookState(webhook);
    return h(
      'li',
      { class: `ed-item ed-webhook${webhook.enabled ? '' : ' is-off'}`, 'data-webhook': webhook.id },
      h('strong', { class: 'ed-webhook-url' }, webhook.url),
      webhook.description ? h('span', {}, ` · ${webhook.description}`) : null,
      h(
        'p',
        { class: 'ed-webhook-what' },
        `Events: ${webhook.events.join(', ')} · Blogs: ${webhook.blogs.join(', ')} · added ${when(webhook.createdAt)}`,
      ),
      h('p', { class: `ed-webhook-state${webhook.enabled && !webhook.failingSince ? '' : ' ed-error'}` }, state),
      h(
        'div',
        { class: 'ed-actions ed-webhook-actions' },
        button('Send test event', 'Send test event to', () => void this.test(webhook)),
        toggle,
        webhook.enabled ? null : button('Turn on again', 'Turn on again', () => void this.enable(webhook)),
        button('Remove', 'Remove', () => void this.remove(webhook)),
      ),
      deliveries,
    );
  }

  /**
   * While a Deliveries table is open it follows what happens (retries, new events) every
   * DELIVERIES_REFRESH_MS, unless the tab is hidden; it stops once none is open.
   */
  private follow(): void {
    if (this.following) return;
    this.following = setInterval(() => {
      if (!this.open.size) {
        clearInterval(this.following);
        this.following = undefined;
      } else if (!document.hidden) for (const id of this.open) void this.loadDeliveries(id);
    }, DELIVERIES_REFRESH_MS);
  }

  private async loadDeliveries(id: string): Promise<WebhookDelivery[]> {
    const box = this.list.querySelector<HTMLElement>(`#webhook-deliveries-${id}`);
    try {
      const { deliveries } = await this.session.call<{ deliveries: WebhookDelivery[] }>('GET', `/api/webhooks/${id}/deliveries`);
      box?.replaceChildren(this.table(deliveries));
      return deliveries;
    } catch (error) {
      box?.replaceChildren(h('p', { class: 'ed-error' }, describeError(error)));
      return [];
    }
  }

  private table(deliveries: WebhookDelivery[]): HTMLElement {
    if (!deliveries.length) return h('p', {}, 'Nothing sent yet.');
    const head = ['Event', 'Status', 'Attempts', 'Last status code', 'Last error', 'Last attempt'];
    return h(
      'table',
      { class: 'ed-webhook-table' },
      h('caption', {}, 'Deliveries, newest first'),
      h('thead', {}, h('tr', {}, ...head.map((text) => h('th', { scope: 'col' }, text)))),
      h(
        'tbody',
        {},
        ...deliveries.map((delivery) =>
          h(
            'tr',
            { 'data-delivery': delivery.id, class: `is-${delivery.status}` },
            h('td', {}, delivery.event),
            h('td', {}, delivery.nextAttemptAt ? `${delivery.status} (next ${when(delivery.nextAttemptAt)})` : delivery.status),
            h('td', {}, String(delivery.attempts)),
            h('td', {}, delivery.lastStatusCode === undefined ? '' : String(delivery.lastStatusCode)),
            h('td', {}, delivery.lastError ?? ''),
            h('td', {}, when(delivery.lastAttemptAt)),
          ),
        ),
      ),
    );
  }

  private async create(): Promise<void> {
    this.error.textContent = '';
    const events = this.allEvents.checked ? undefined : this.eventBoxes.filter((box) => box.checked).map((box) => box.value);
    if (events && !events.length) {
      this.error.textContent = 'Choose at least one event, or All events.';
      return;
    }
    const blogs = [
      ...new Set(
        this.blogs.value
          .split(',')
          .map((blog) => blog.trim())
          .filter(Boolean),
      ),
    ];
    const description = this.description.value.trim();
    try {
      const created = await this.session.call<Webhook & { secret: string }>('POST', '/api/webhooks', {
        body: {
          url: this.url.value.trim(),
          ...(events ? { events } : {}),
          ...(blogs.length ? { blogs } : {}),
          ...(description ? { description } : {}),
        },
      });
      this.secret.value = created.secret;
      this.secretBox.hidden = false;
      this.secretOf = created.id;
      this.status.textContent = `Webhook added for ${created.url}. Copy its secret now: it is not shown again.`;
      this.url.value = '';
      this.description.value = '';
      await this.refresh();
    } catch (error) {
      this.error.textContent = problem(error);
    }
  }

  private async test(webhook: Webhook): Promise<void> {
    try {
      const sent = await this.session.call<WebhookDelivery>('POST', `/api/webhooks/${webhook.id}/test`);
      this.open.add(webhook.id);
      this.follow();
      await this.refresh();
      this.status.textContent = `Test event sent to ${webhook.url}: its outcome shows in Deliveries.`;
      // Follow it until it has an outcome (one attempt, bounded by the server's timeout).
      const until = Date.now() + FOLLOW_MS;
      while (Date.now() < until && this.open.has(webhook.id)) {
        const found = (await this.loadDeliveries(webhook.id)).find((delivery) => delivery.id === sent.id);
        if (found && found.status !== 'pending') {
          this.status.textContent = `Test event to ${webhook.url}: ${found.status}${found.lastError ? ` (${found.lastError})` : ''}.`;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
    } catch (error) {
      this.status.textContent = describeError(error);
    }
  }

  private async enable(webhook: Webhook): Promise<void> {
    try {
      await this.session.call('PATCH', `/api/webhooks/${webhook.id}`, { body: { enabled: true } });
      await this.refresh();
      this.status.textContent = `${webhook.url} is on again.`;
    } catch (error) {
      this.status.textContent = describeError(error);
    }
  }

  private async remove(webhook: Webhook): Promise<void> {
    if (!confirm(`Remove the webhook to ${webhook.url}? Nothing more is sent to it, retries included.`)) return;
    try {
      await this.session.call('DELETE', `/api/webhooks/${webhook.id}`);
      this.open.delete(webhook.id);
      if (this.secretOf === webhook.id) {
        this.secretBox.hidden = true;
        this.secret.value = '';
        this.secretOf = undefined;
      }
      await this.refresh();
      // Said once the list (and the focus in it) is settled.
      this.status.textContent = `Webhook to ${webhook.url} removed.`;
    } catch (error) {
      this.status.textContent = describeError(error);
    }
  }
}
