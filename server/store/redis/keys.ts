/**
 * Every Redis key and channel the service uses, all under the deployment's prefix, so that two
 * deployments with different prefixes on one Redis share nothing. A blog's keys share the hash tag
 * `{blogId}` so that, on Redis Cluster, they live in one slot and each blog's scripts stay atomic. People
 * (their records, emails, invitation and setup links) and the service's audit trail share the hash tag
 * `{svc}`, so that a change of a person and its audit entry are one script, atomic on a Cluster too (they
 * are small and rarely written: one slot is plenty). The other keys (tokens, sessions, rate counters) are
 * each written on their own (no command or script spans two of them).
 */
export interface Keys {
  /** ZSET of blog ids scored by creation time. */
  blogIndex: string;
  /** HASH: the blog's fields, plus `epoch`, `seq` and `tag` (its last event), `rev` (blog edits), `pinnedId`. */
  blog(blogId: string): string;
  /** HASH: update id → Update JSON. */
  updates(blogId: string): string;
  /** ZSET, all scores 0: order keys (`publishedAt:id`), paged BYLEX. */
  order(blogId: string): string;
  /** ZSET, all scores 0: the order keys of key-event updates. */
  keyEvents(blogId: string): string;
  /**
   * STREAM: the event log; entry id `<seq>-0`, fields `e` (the event without its update's text: see
   * StoredEvent), `t` (its tag), `p` (the previous event's tag).
   */
  events(blogId: string): string;
  /** STRING with a TTL: `{"u": updateId, "f": fingerprint}` of the update an Idempotency-Key (scoped to its sender) created. */
  idempotency(blogId: string, key: string): string;
  /** Prefix of `versions` keys, for a script that unpins another update. */
  versionsPrefix(blogId: string): string;
  /** LIST: an update's earlier versions (JSON), oldest first. */
  versions(blogId: string, updateId: string): string;
  /** STREAM: the blog's audit trail, field `a` (an AuditEntry's JSON without its id, which is the entry id). */
  audit(blogId: string): string;
  /** HASH: the approval queue, entry id → PendingUpdate JSON (never in `updates`, `order` or `events`). */
  pending(blogId: string): string;
  /** SET: the blog's media ids taken down (see Timeline.markTakenDown); kept for the blog's life. */
  takenDown(blogId: string): string;
  /** STREAM: the service's own audit trail (people, tokens), as `audit`; in the `{svc}` slot with people. */
  serviceAudit: string;
  /** SET of token ids. */
  tokenIndex: string;
  /** HASH: a token's id, name, blogs (JSON), createdAt, lastUsedAt and the SHA-256 of its secret. */
  token(tokenId: string): string;
  /** STRING: token id, by the hex SHA-256 of its secret. */
  tokenByHash(hash: string): string;
  /** STRING with a TTL: a rate-limit counter for one window. */
  rate(bucket: string, window: number): string;
  /** SET of person ids. */
  people: string;
  /** HASH: a person's fields (blogs as JSON), their password's Argon2id hash, their current invitation's hash. */
  person(personId: string): string;
  /** STRING: person id, by lowercased email. */
  personByEmail(email: string): string;
  /** HASH with a TTL: an invitation (`personId`, `expiresAt`, `usedAt`), by the hex SHA-256 of its secret. */
  invite(hash: string): string;
  /** HASH with a TTL: a first-run setup link (`expiresAt`, `usedAt`), by the hex SHA-256 of its secret. */
  setupLink(hash: string): string;
  /** STRING (JSON) with a TTL (the idle expiry): a session, by the hex SHA-256 of its cookie's secret. */
  session(sessionHash: string): string;
  /** ZSET: a person's session hashes, scored by creation time. */
  personSessions(personId: string): string;
  /** STRING (JSON) with a 5-minute TTL: a single sign-on under way (state, nonce, PKCE verifier), by the hex SHA-256 of its cookie's id. */
  oidcSignIn(hash: string): string;
  /** Pub/sub channel (sharded: SPUBLISH) of the messages between this deployment's processes (see realtime/bus.ts). */
  busChannel: string;
}

export function redisKeys(prefix: string): Keys {
  return {
    blogIndex: `${prefix}blogs`,
    blog: (id) => `${prefix}blog:{${id}}`,
    updates: (id) => `${prefix}blog:{${id}}:updates`,
    order: (id) => `${prefix}blog:{${id}}:order`,
    keyEvents: (id) => `${prefix}blog:{${id}}:key-events`,
    events: (id) => `${prefix}blog:{${id}}:events`,
    idempotency: (id, key) => `${prefix}blog:{${id}}:idem:${key}`,
    versions: (id, updateId) => `${prefix}blog:{${id}}:versions:${updateId}`,
    versionsPrefix: (id) => `${prefix}blog:{${id}}:versions:`,
    audit: (id) => `${prefix}blog:{${id}}:audit`,
    pending: (id) => `${prefix}blog:{${id}}:pending`,
    takenDown: (id) => `${prefix}blog:{${id}}:media:taken-down`,
    serviceAudit: `${prefix}{svc}:audit`,
    tokenIndex: `${prefix}tokens`,
    token: (tokenId) => `${prefix}token:${tokenId}`,
    tokenByHash: (hash) => `${prefix}token-hash:${hash}`,
    rate: (bucket, window) => `${prefix}rate:${bucket}:${window}`,
    people: `${prefix}{svc}:people`,
    person: (personId) => `${prefix}{svc}:person:${personId}`,
    personByEmail: (email) => `${prefix}{svc}:person-email:${email}`,
    invite: (hash) => `${prefix}{svc}:invite:${hash}`,
    setupLink: (hash) => `${prefix}{svc}:setup:${hash}`,
    session: (sessionHash) => `${prefix}session:${sessionHash}`,
    personSessions: (personId) => `${prefix}person-sessions:${personId}`,
    oidcSignIn: (hash) => `${prefix}oidc:${hash}`,
    busChannel: `${prefix}bus`,
  };
}
