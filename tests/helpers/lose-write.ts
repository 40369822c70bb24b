/**
 * What a failover to a replica that lagged leaves behind, made by hand on the machine's Redis: the store
 * as it was before its last write — the event gone from the log (and the log's last id with it), the
 * blog's head back one event, the update and its order entry gone.
 */
import type { Redis } from 'ioredis';
import { parseCursor } from '../../shared/cursor';
import { updateOrderKey } from '../../shared/order';
import type { BlogEvent, Update } from '../../shared/schemas';
import { redisKeys } from '../../server/store/redis/keys';

export async function loseLastWrite(redis: Redis, prefix: string, lostEvent: BlogEvent, lostUpdate: Update): Promise<void> {
  const keys = redisKeys(prefix);
  const { blogId } = lostEvent;
  const lost = parseCursor(lostEvent.cursor)!;
  const before = parseCursor(lostEvent.prev)!;
  await redis
    .multi()
    .xdel(keys.events(blogId), `${lost.seq}-0`)
    .xsetid(keys.events(blogId), `${before.seq}-0`)
    .hset(keys.blog(blogId), 'seq', before.seq, 'tag', before.tag)
    .hdel(keys.updates(blogId), lostUpdate.id)
    .zrem(keys.order(blogId), updateOrderKey(lostUpdate.publishedAt, lostUpdate.id))
    .exec();
}
