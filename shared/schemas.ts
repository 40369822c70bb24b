/**
 * One zod schema per payload and route, shared by the server (which validates everything it is sent)
 * and the clients (which import the inferred types only, so zod never reaches a browser bundle).
 */
import { z } from 'zod';
import { CURSOR_PATTERN } from './cursor';
import { LIMITS } from './limits';
import { MEDIA_LIMITS } from './media';

export const BLOG_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const UPDATE_ID_PATTERN = /^[a-z0-9]{1,64}$/;
/** A page token (`next` / `before`): the position of the last update shown. */
export const PAGE_TOKEN_PATTERN = /^\d{15}:[a-z0-9]{1,64}$/;
// Control characters have no place in one-line plain text (titles, names): they hide text or break feeds.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;
// Half of a surrogate pair is not text: no encoding can store it (found by `npm run fuzz`).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (value: string) => !LONE_SURROGATE.test(value);
const WELL_FORMED = 'must be valid Unicode text';
// What XML 1.0 forbids (every field ends up in the Atom feed): C0 controls but tab, newline and
// carriage return, and the non-characters U+FFFE and U+FFFF. Refused, not stripped: what an editor
// sends is what readers get.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const NO_XML_FORBIDDEN = 'must not contain control characters';

/** A string of Unicode text: `z.string()` lets through broken surrogate pairs and control characters. */
const unicode = () =>
  z
    .string()
    .refine(wellFormed, WELL_FORMED)
    .refine((value) => !XML_FORBIDDEN.test(value), NO_XML_FORBIDDEN);

export const BlogIdSchema = z
  .string()
  .regex(BLOG_ID_PATTERN, 'must be 1 to 64 lowercase letters, digits or dashes, starting with a letter or digit');
export const CursorSchema = z.string().regex(CURSOR_PATTERN, 'must be a cursor returned by this service');
export const PageTokenSchema = z.string().regex(PAGE_TOKEN_PATTERN, 'must be a `next` value returned by this service');

const plainText = (max: number) =>
  unicode()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(NO_CONTROL_CHARS, 'must be one line of plain text');

const earliest = Date.parse(LIMITS.earliestPublishedAt);
/** ISO 8601 with a zone (`Z` or `+02:00`): a time without one is ambiguous, so it is refused. Normalised to UTC. */
export const PublishedAtSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, like 2025-01-11T17:45:00+02:00' })
  .refine((value) => Date.parse(value) >= earliest, `must not be before ${LIMITS.earliestPublishedAt.slice(0, 4)}`)
  .refine((value) => Date.parse(value) <= Date.now() + LIMITS.futureSkewMs, 'must not be more than an hour in the future')
  .transform((value) => new Date(value).toISOString());

export const CreateBlogSchema = z.object({
  id: BlogIdSchema,
  title: plainText(LIMITS.blogTitle),
  description: unicode().trim().max(LIMITS.blogDescription, `must be at most ${LIMITS.blogDescription} characters`).optional(),
});

export const BlogStatusSchema = z.enum(['live', 'ended']);

const atLeastOneField = (value: object) => Object.keys(value).length > 0;

export const PatchBlogSchema = z
  .object({
    title: plainText(LIMITS.blogTitle).optional(),
    description: unicode().trim().max(LIMITS.blogDescription).nullable().optional(),
    status: BlogStatusSchema.optional(),
  })
  .refine(atLeastOneField, 'send at least one of title, description, status');

const updateFields = {
  body: unicode().trim().min(1, 'must not be empty').max(LIMITS.body, `must be at most ${LIMITS.body} characters`),
  title: plainText(LIMITS.updateTitle),
  author: plainText(LIMITS.author),
  publishedAt: PublishedAtSchema,
  pinned: z.boolean(),
  keyEvent: z.boolean(),
};

export const CreateUpdateSchema = z.object({
  body: updateFields.body,
  title: updateFields.title.optional(),
  author: updateFields.author.optional(),
  publishedAt: updateFields.publishedAt.optional(),
  pinned: updateFields.pinned.optional(),
  keyEvent: updateFields.keyEvent.optional(),
});

/** Any of the create fields; `null` clears an optional one. */
export const PatchUpdateSchema = z
  .object({
    body: updateFields.body.optional(),
    title: updateFields.title.nullable().optional(),
    author: updateFields.author.nullable().optional(),
    publishedAt: updateFields.publishedAt.optional(),
    pinned: updateFields.pinned.optional(),
    keyEvent: updateFields.keyEvent.optional(),
  })
  .refine(atLeastOneField, 'send at least one field to change');

/** A count in a query string: decimal digits only (not `0x10`, not `1e2`), from 1 to `max`. */
export function countParam(max: number, fallback: number) {
  return z
    .string()
    .regex(/^[0-9]{1,7}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(max, `must be at most ${max}`))
    .default(fallback);
}

export const ListUpdatesQuerySchema = z
  .object({
    limit: countParam(LIMITS.pageMax, LIMITS.pageDefault),
    before: PageTokenSchema.optional(),
    /** The page around this update (a permalink), instead of the newest. */
    around: z.string().regex(UPDATE_ID_PATTERN, 'must be an update id').optional(),
    /** Only the updates whose text, headline or author holds this (the desk's search). */
    q: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(LIMITS.searchPhrase, `must be at most ${LIMITS.searchPhrase} characters`)
      .optional(),
  })
  .refine((query) => !(query.around && (query.before || query.q)), {
    message: '`around` goes alone, without `before` or `q`',
    path: ['around'],
  });

export const EventsQuerySchema = z.object({
  after: CursorSchema.optional(),
  limit: countParam(LIMITS.catchUpMax, LIMITS.catchUpMax),
});

export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(LIMITS.idempotencyKey, `must be at most ${LIMITS.idempotencyKey} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const CreateTokenSchema = z.object({
  name: plainText(LIMITS.tokenName),
  blogs: z
    .array(z.union([z.literal('*'), BlogIdSchema]))
    .min(1, 'name at least one blog, or "*" for every blog')
    .max(LIMITS.tokenBlogs, `at most ${LIMITS.tokenBlogs} blogs`)
    .transform((blogs) => [...new Set(blogs)]),
});

// People (second round): accounts, sign-in, approval queue, audit trail.
export const RoleSchema = z.enum(['admin', 'editor', 'contributor'], { error: 'must be admin, editor or contributor' });
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(LIMITS.email, `must be at most ${LIMITS.email} characters`)
  .pipe(z.email('must be an email address like olena@newsroom.example'));
const PersonBlogsSchema = z
  .array(z.union([z.literal('*'), BlogIdSchema]))
  .max(LIMITS.tokenBlogs, `at most ${LIMITS.tokenBlogs} blogs`)
  .transform((blogs) => [...new Set(blogs)]);

export const CreateUserSchema = z.object({
  email: EmailSchema,
  name: plainText(LIMITS.personName),
  role: RoleSchema,
  blogs: PersonBlogsSchema,
});

export const PatchUserSchema = z
  .object({
    name: plainText(LIMITS.personName),
    role: RoleSchema,
    blogs: PersonBlogsSchema,
    disabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one of name, role, blogs, disabled');

/** A password as sent; its strength (length, common passwords) is checked on the server. */
export const PasswordSchema = z.string().max(LIMITS.passwordMax, `must be at most ${LIMITS.passwordMax} characters`);

export const SignInSchema = z.object({ email: z.string().max(LIMITS.email), password: PasswordSchema });

export const ChangePasswordSchema = z.object({ currentPassword: PasswordSchema, password: PasswordSchema });

export const RejectSchema = z.object({
  reason: unicode().trim().max(LIMITS.rejectReason, `must be at most ${LIMITS.rejectReason} characters`).optional(),
});

/** `POST …/approve`: publish with the approval's time (default) or the time the contributor gave. */
export const ApproveSchema = z.object({ publishedAt: z.enum(['now', 'submitted']).optional() }).strict();

export const AuditQuerySchema = z.object({
  limit: countParam(LIMITS.auditMax, LIMITS.auditDefault),
  before: z
    .string()
    .regex(/^\d{1,20}-\d{1,20}$/, 'must be a `next` value returned by this service')
    .optional(),
});

/** `GET /api/blogs/:blogId/audit`: the service trail's query, and optionally one update's entries (the desk's History of one entry). */
export const BlogAuditQuerySchema = AuditQuerySchema.extend({
  updateId: z.string().regex(UPDATE_ID_PATTERN, 'must be an update id').optional(),
});

/** A person as an admin sees them (`GET /api/users`): never a password hash or a session. */
export interface UserInfo {
  id: string;
  email: string;
  name: string;
  role: z.infer<typeof RoleSchema>;
  blogs: string[];
  disabled: boolean;
  createdAt: string;
  /** Set once the person has chosen a password or signed in with single sign-on. */
  activatedAt?: string;
  lastSignInAt?: string;
}

/** Who did something: a person, an editor token, or the admin token (which has no id). */
export interface Actor {
  kind: 'person' | 'token' | 'admin-token';
  id?: string;
  name: string;
}

export const AUDIT_ACTIONS = [
  'blog.created',
  'blog.changed',
  'update.created',
  'update.edited',
  'update.pinned',
  'update.unpinned',
  'update.deleted',
  'update.submitted',
  'update.approved',
  'update.rejected',
  'person.invited',
  'person.changed',
  'person.removed',
  'token.created',
  'token.revoked',
  'webhook.created',
  'webhook.changed',
  'webhook.removed',
  'media.uploaded',
  'media.removed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One write, as the audit trail keeps it (`GET /api/blogs/:blogId/audit`): `before` and `after` are the
 * state the write replaced and the state it left (an Update, a Blog, a pending entry, a person).
 */
export interface AuditEntry {
  /** Also the page token: `before=<id>` pages to older entries. */
  id: string;
  at: string;
  actor: Actor;
  action: AuditAction;
  blogId?: string;
  updateId?: string;
  before?: unknown;
  after?: unknown;
  /** A rejection's reason. */
  reason?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  next?: string;
}

/** A contributor's entry waiting for an editor (`202` of a contributor's publish; `GET /pending`). */
export type PendingUpdate = Update & {
  status: 'pending' | 'rejected';
  submittedBy: { id: string; name: string };
  submittedAt: string;
  /** Set on a rejected entry: why, by whom, when (the contributor sees it). */
  rejection?: { reason?: string; by: string; at: string };
};

/** What `GET /api/blogs/:blogId/view` answers, and what a page, the iframe page and the widget show first. */
export interface BlogView {
  blog: Blog;
  /** The pinned update first (on the first page), then newest first. */
  updates: Update[];
  keyEvents: Update[];
  /** Read with `updates`: live events follow on from it. */
  cursor: string;
  next?: string;
}

/** `POST /api/preview`: `blogId` is the blog whose pictures the body shows (without it, the first blog a picture in it names). */
export const PreviewSchema = z.object({ body: updateFields.body, blogId: BlogIdSchema.optional() });

/** A picture as the API shows it (`POST /api/blogs/:blogId/media`): its full-size URL and the snippet that places it. */
export interface MediaInfo {
  id: string;
  /** The full-size file, absolute. */
  url: string;
  width: number;
  height: number;
  alt: string;
  caption?: string;
  credit?: string;
  markdown: string;
}

/** A picture as `GET /api/blogs/:blogId/media` lists it. */
export interface ListedMedia extends MediaInfo {
  createdAt: string;
  /** The smallest stored size (root-relative): the list's thumbnail. */
  thumbnail: string;
  /** Who uploaded it (`person:<id>`, `token:<id>`, `admin`): listed for the blog's editors only. */
  uploadedBy?: string;
}

/** An optional line of text: empty (a form's untouched field) is the same as absent. */
const optionalLine = (max: number) =>
  z.preprocess((value) => (typeof value === 'string' && !value.trim() ? undefined : value), plainText(max).optional());

/**
 * The text fields of `POST /api/blogs/:blogId/media` (multipart, beside `file`): the alt text is required
 * (what a screen reader says, and what shows when the picture cannot load).
 */
export const MediaFieldsSchema = z
  .object({
    alt: plainText(MEDIA_LIMITS.altChars),
    caption: optionalLine(MEDIA_LIMITS.captionChars),
    credit: optionalLine(MEDIA_LIMITS.creditChars),
  })
  .strict();

export const SubscribeSchema = z.object({ blogId: BlogIdSchema, cursor: CursorSchema.optional() });
export const UnsubscribeSchema = z.object({ blogId: BlogIdSchema });

// What the service answers. The server builds these; tests and clients rely on their shape.
export const BlogSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  status: BlogStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The latest event's cursor: subscribe with it to get everything after this snapshot. */
  cursor: z.string(),
});

export const UpdateSchema = z.object({
  id: z.string(),
  blogId: z.string(),
  body: z.string(),
  /** `body` rendered from Markdown and sanitised on the server. */
  html: z.string(),
  title: z.string().optional(),
  author: z.string().optional(),
  publishedAt: z.string(),
  createdAt: z.string(),
  editedAt: z.string().optional(),
  pinned: z.boolean(),
  keyEvent: z.boolean(),
  version: z.number().int(),
});

export const EVENT_TYPES = ['update.created', 'update.edited', 'update.deleted', 'blog.updated'] as const;

export const EventSchema = z.object({
  blogId: z.string(),
  cursor: z.string(),
  /** The cursor of the event before this one: a client that holds another has missed something. */
  prev: z.string(),
  type: z.enum(EVENT_TYPES),
  update: UpdateSchema.optional(),
  updateId: z.string().optional(),
  blog: BlogSchema.optional(),
});

export type CreateBlogInput = z.infer<typeof CreateBlogSchema>;
export type PatchBlogInput = z.infer<typeof PatchBlogSchema>;
export type CreateUpdateInput = z.infer<typeof CreateUpdateSchema>;
export type PatchUpdateInput = z.infer<typeof PatchUpdateSchema>;
export type SubscribePayload = z.input<typeof SubscribeSchema>;
export type UnsubscribePayload = z.input<typeof UnsubscribeSchema>;
export type BlogStatus = z.infer<typeof BlogStatusSchema>;
export type Blog = z.infer<typeof BlogSchema>;
export type Update = z.infer<typeof UpdateSchema>;
export type EventType = (typeof EVENT_TYPES)[number];
export type BlogEvent = z.infer<typeof EventSchema>;

/** An editor token as listed: never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  /** Blog ids, or `*` for every blog (which also allows creating blogs). */
  blogs: string[];
  createdAt: string;
  lastUsedAt?: string;
}

/** Who is asking (`GET /api/me`): a signed-in person or a token. */
export interface Me {
  kind: 'admin' | 'editor' | 'contributor';
  name: string;
  blogs: string[];
  /** How they signed in: `session` (a person), `token` or `admin-token`. */
  source: 'session' | 'token' | 'admin-token';
  /** A signed-in person's id and email. */
  id?: string;
  email?: string;
}

/** `blog:readers`, to a blog's editors: how many readers are watching it now. */
export interface ReaderCount {
  blogId: string;
  readers: number;
}

export interface UpdatePage {
  updates: Update[];
  /** The blog's cursor when the page was read: subscribe with it to miss nothing after the page. */
  cursor: string;
  /** Pass as `before` to get the next, older page. */
  next?: string;
  /** Of a page `around` an update: how many updates are newer than its first one (0: it reaches the top). */
  newer?: number;
}

export interface EventsPage {
  events: BlogEvent[];
  /** The last event's cursor, or the one asked for when nothing came after it. */
  cursor: string;
  /** More events follow: ask again with `cursor`. */
  more?: boolean;
}

/** Turns zod issues into the `details` of an error body: one message per field. */
export function issuesToDetails(error: z.ZodError): Record<string, string> {
  const details: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.length ? issue.path.join('.') : '_';
    details[field] ??= issue.message;
  }
  return details;
}

// Reach (contract: "Reach: webhooks, notifications, figures"): webhooks, Web Push subscriptions, figures.

/** `*` in a webhook's `events` or `blogs`: every one, including those added later. */
export const ALL = '*';
/** Events a webhook endpoint may ask for; `webhook.test` is sent by Send test event to that endpoint alone. */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES;
export const WEBHOOK_TEST_EVENT = 'webhook.test';
/** Endpoints the service keeps at most (each costs a delivery per event). */
export const WEBHOOKS_MAX = 50;

export const CreateWebhookSchema = z
  .object({
    /** Checked further on the server: https, or http on a host LIVEBLOG_OUTBOUND_ALLOW_HOSTS names. */
    url: z.string().trim().min(1, 'is required').max(2000, 'must be at most 2000 characters'),
    events: z
      .array(z.enum([...WEBHOOK_EVENT_TYPES, ALL]), { error: `must be a list of ${WEBHOOK_EVENT_TYPES.join(', ')} or ${ALL}` })
      .min(1, 'must name at least one event, or be left out for all')
      .max(WEBHOOK_EVENT_TYPES.length + 1)
      .optional(),
    blogs: z
      .array(z.union([BlogIdSchema, z.literal(ALL)]))
      .min(1, 'must name at least one blog, or be left out for all')
      .max(200, 'must name at most 200 blogs')
      .optional(),
    /** What the endpoint is for, shown on the desk. */
    description: plainText(120).optional(),
  })
  .strict();

/** `PATCH /api/webhooks/:id`: turn a disabled endpoint back on (its failures forgotten), or off. */
export const PatchWebhookSchema = z.object({ enabled: z.boolean() }).strict();

/** An endpoint as listed: never its secret (only the answer that creates it carries `secret`). */
export interface Webhook {
  id: string;
  url: string;
  /** Event types, or [`*`]. */
  events: string[];
  /** Blog ids, or [`*`]. */
  blogs: string[];
  description?: string;
  createdAt: string;
  enabled: boolean;
  /** Why and when it was turned off: by an admin, or by the service after a day of failures. */
  disabled?: { at: string; reason: string };
  /** When its deliveries started failing without a success since (absent while they succeed). */
  failingSince?: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'skipped';

export interface WebhookDelivery {
  /** The `webhook-id` every attempt carries. */
  id: string;
  /** Its event type (`update.created`…, `webhook.test`). */
  event: string;
  blogId?: string;
  attempts: number;
  status: DeliveryStatus;
  createdAt: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  /** The last failure, in words (`timeout after 10 s`, `HTTP 500`, `refused: 10.0.0.1 is a private address`). */
  lastError?: string;
  nextAttemptAt?: string;
}

const base64url = (bytes: number, chars: number) =>
  z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${chars}}={0,2}$`), `must be ${bytes} bytes in base64url`);

/** A browser's PushSubscription as `JSON.stringify` writes it. */
export const PushSubscriptionSchema = z.object({
  endpoint: z.string().trim().min(1, 'is required').max(2048, 'must be at most 2048 characters'),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: base64url(65, 87), auth: base64url(16, 22) }),
});
export const PushUnsubscribeSchema = z.object({ endpoint: z.string().trim().min(1, 'is required').max(2048) });

/** What a key event's push carries (encrypted to the browser; its service worker shows it). */
export interface PushMessage {
  blogId: string;
  updateId: string;
  title: string;
  body: string;
  /** The update's permalink on the reader's page. */
  url: string;
}

const statsTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, like 2025-01-11T17:45:00Z' })
  .transform((value) => Date.parse(value))
  .optional();

/**
 * `GET /api/blogs/:blogId/stats?since=&until=`: the series over this stretch (the desk asks for its last
 * hours); by default from the blog's first counted minute to now.
 */
export const StatsQuerySchema = z
  .object({ since: statsTime, until: statsTime })
  .refine(({ since, until }) => since === undefined || until === undefined || since <= until, {
    message: 'must not be before since',
    path: ['until'],
  });

/** `GET /api/blogs/:blogId/stats`: no reader is identified, only counted. */
export interface BlogStats {
  readersNow: number;
  peakReaders: number;
  /** When the peak was first reached; null before anyone read. */
  peakAt: string | null;
  /**
   * Readers per step (the most at once in any minute of it), oldest first, over the stretch asked for:
   * a point starts at `at`; a step with no reader is left out.
   */
  series: { at: string; readers: number }[];
  /**
   * Each point's length: 1 (a minute) up to a day of the stretch, then 5, 15, 60, 360, 1,440 or 10,080,
   * so that `series` never holds more than 1,440 points (docs/figures.md).
   */
  stepMinutes: number;
  /**
   * Readers now by the site they read on (`origin`, scheme://host[:port]), most first: the host site of
   * a widget or of an iframe that says it; `self` for the service's own pages, `frame` for an iframe
   * whose host site is not known, `other` beyond the first 50 sites (docs/figures.md).
   */
  embeds: { origin: string; readers: number }[];
  /** Browsers subscribed to the blog's key-event notifications. */
  subscribers: number;
  /** Key-event notifications the push services accepted. */
  pushesSent: number;
}
