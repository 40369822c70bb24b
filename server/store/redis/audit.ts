/** The audit trail on Redis: one stream per blog (in its slot, appended by its write scripts) and the service's own. */
import type { AuditEntry, AuditPage } from '../../../shared/schemas';
import type { AuditDraft, AuditLog, AuditQuery, AuditScope } from '../audit';
import { writeDurably, type RedisClient } from './connection';
import { redisCall } from './errors';
import type { Keys } from './keys';

/** Entries read per request when filtering by update: a filter never makes one request read a whole trail. */
export const AUDIT_SCAN_MAX = 2_000;
const SCAN_CHUNK = 200;

type StreamEntry = [id: string, fields: string[]];

export class RedisAuditLog implements AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly writer: RedisClient,
    private readonly keys: Keys,
    private readonly minReplicas: number,
  ) {}

  async record(entry: AuditDraft): Promise<void> {
    await redisCall(() =>
      writeDurably(this.writer, this.minReplicas, (p) => p.xadd(this.keys.serviceAudit, '*', 'a', auditEntryJson(entry))),
    );
  }

  async list(scope: AuditScope, query: AuditQuery): Promise<AuditPage> {
    const key = scope === 'service' ? this.keys.serviceAudit : this.keys.audit(scope.blogId);
    return redisCall(async () => {
      const entries: AuditEntry[] = [];
      // XREVRANGE's end is inclusive: `(id` excludes the page token itself.
      let end = query.before ? `(${query.before}` : '+';
      let scanned = 0;
      for (;;) {
        const want = query.updateId ? SCAN_CHUNK : query.limit + 1 - entries.length;
        const chunk = (await this.redis.xrevrange(key, end, '-', 'COUNT', want)) as StreamEntry[];
        for (const [id, fields] of chunk) {
          const entry = toEntry(id, fields);
          if (!query.updateId || entry.updateId === query.updateId) entries.push(entry);
          if (entries.length > query.limit) break;
        }
        scanned += chunk.length;
        const last = chunk.at(-1)?.[0];
        if (entries.length > query.limit) {
          const page = entries.slice(0, query.limit);
          return { entries: page, next: page[page.length - 1].id };
        }
        if (chunk.length < want || !last) return { entries };
        end = `(${last}`;
        // A filtered read that has scanned its share stops and says where it stopped.
        if (scanned >= AUDIT_SCAN_MAX) return { entries, next: last };
      }
    });
  }
}

/**
 * An entry as stored, in the field `a` of its stream entry (the stream id is its id). People's scripts
 * (redis/people.ts) append it to `keys.serviceAudit` in the same script as their change.
 */
export function auditEntryJson(entry: AuditDraft): string {
  return JSON.stringify(entry);
}

function toEntry(id: string, fields: string[]): AuditEntry {
  const at = fields.indexOf('a');
  return { id, ...(JSON.parse(fields[at + 1]) as AuditDraft) };
}
