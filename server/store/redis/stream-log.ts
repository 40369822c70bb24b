/** Reading the blog's hash and its event log (a stream) as the Lua scripts return them. */
import type { Blog, BlogEvent, Update } from '../../../shared/schemas';
import { hydrate, toBlog, toEvent, type StoredEvent } from '../log';
import type { BlogRecord } from '../timeline';
import type { RedisClient } from './connection';

/** As XRANGE gives it: `[id, [field, value, …]]`, fields `e`, `t`, `p` (the first version wrote only `e`). */
export type StreamEntry = [id: string, fields: string[]];

/** HGETALL of many keys; on a Cluster each goes to its own node (auto-pipelined per node). */
export async function readHashes(redis: RedisClient, keys: string[]): Promise<Record<string, string>[]> {
  return Promise.all(keys.map((key) => redis.hgetall(key)));
}

export function entryParts([id, fields]: StreamEntry): { seq: number; tag: string; prevTag: string; json: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) values[fields[i]] = fields[i + 1];
  const seq = Number(id.slice(0, id.indexOf('-')));
  return { seq, tag: values.t ?? 'x', prevTag: values.p ?? (seq === 1 ? '0' : 'x'), json: values.e };
}

export function entryEvent(blogId: string, epoch: string, entry: StreamEntry, currentJson: string): BlogEvent {
  const { seq, tag, prevTag, json } = entryParts(entry);
  const logged = hydrate(JSON.parse(json) as StoredEvent, currentJson ? (JSON.parse(currentJson) as Update) : null);
  return toEvent(blogId, epoch, seq, tag, prevTag, logged);
}

export function blogFromHash(fields: Record<string, string>): Blog | null {
  if (!fields.id) return null;
  const record: BlogRecord = {
    id: fields.id,
    title: fields.title,
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    status: fields.status === 'ended' ? 'ended' : 'live',
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
  };
  const seq = Number(fields.seq);
  return toBlog(record, { epoch: fields.epoch, seq, tag: fields.tag ?? (seq === 0 ? '0' : 'x') });
}
