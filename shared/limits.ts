/** Updates in a first view (`GET /view`, the widget's `data-limit`): most. A constant of its own, so that the widget's bundle takes it without the rest. */
export const VIEW_MAX = 50;

/** Documented limits on what editors and readers may send. Shared so the editor page can say them too. */
export const LIMITS = {
  /** Markdown body of one update, in characters. */
  body: 20_000,
  /**
   * The HTML one body renders to, in characters: a body of bare links renders to seven times its
   * length, and every reader, page and feed carries it. Beyond it the body is refused (400).
   */
  renderedHtml: 60_000,
  /** Update title, in characters. */
  updateTitle: 200,
  /** Update author, in characters. */
  author: 100,
  /** Blog title, in characters. */
  blogTitle: 200,
  /** Blog description, in characters. */
  blogDescription: 2_000,
  /** Token name, in characters. */
  tokenName: 100,
  /** A person's name, in characters. */
  personName: 100,
  /** An email address, in characters (RFC 5321's limit). */
  email: 254,
  /** Passwords: at least (NIST SP 800-63B, the floor) and at most, in characters. */
  passwordMin: 12,
  passwordMax: 256,
  /** A rejection's reason, in characters. */
  rejectReason: 1_000,
  /** Audit entries per page of `GET /audit`: default and most. */
  auditDefault: 50,
  auditMax: 200,
  /** Blogs one token may name (and one person). */
  tokenBlogs: 100,
  /** Idempotency-Key header, in characters. */
  idempotencyKey: 200,
  /** Largest JSON request body, in bytes (answers 413 beyond it). */
  requestBytes: 64 * 1024,
  viewMax: VIEW_MAX,
  /** Updates per page of `GET /updates`: default and most. */
  pageDefault: 20,
  pageMax: 100,
  /** A search phrase (`?q=`), in characters. */
  searchPhrase: 200,
  /** Events per answer of `GET /events` and of a `blog:subscribe` ack: the reader asks again for more. */
  catchUpMax: 1_000,
  /**
   * …and at most about this many bytes of them (at least one event): a reader far behind on a blog of
   * long updates is answered in pieces, so no answer holds megabytes for a reader that may never read it.
   */
  catchUpBytes: 256 * 1024,
  /** How far ahead of the server's clock `publishedAt` may be (editors' clocks drift). */
  futureSkewMs: 60 * 60 * 1000,
  /** The earliest `publishedAt` accepted. */
  earliestPublishedAt: '1990-01-01T00:00:00.000Z',
} as const;
