/**
 * The figures on Redis, shared by every process of the deployment. Per blog, in the blog's slot
 * (`{blogId}`, so that the flush script's keys hash together on a Cluster):
 *
 * - `<prefix>blog:{id}:stats:now`, a HASH: process id → `{"at":ms,"readers":n,"sites":{origin:n}}`, that
 *   process's count at its last flush. Readers now are the sum of the fresh entries (written within
 *   STALE_FLUSHES flushes of the newest); older ones (a process that died) are dropped by the next
 *   flush, and the key expires when no process writes it any more.
 * - `<prefix>blog:{id}:stats:day:<day>` (day = days since the epoch, UTC), a STRING of 1,440 unsigned
 *   32-bit counters (BITFIELD u32, big-endian): the most readers at once in each minute of that day.
 *   5,760 bytes a day, kept for the blog's life (a 30-day blog: 173 KB).
 * - `<prefix>blog:{id}:stats:peak`, a HASH: `readers`, `at` (ms) of the peak, `first` (ms) of the first
 *   flush (where the series starts).
 *
 * Each flush of a blog is ONE script call (EVALSHA): write this process's entry, add up the fresh ones,
 * raise the minute and the peak if the total beats them.
 */
import type { SharedRedis } from '../store/open';
import type { RedisClient } from '../store/redis/connection';
import { redisCall } from '../store/redis/errors';
import type { LocalCount } from './count';
import { topSites } from './count';
import { SeriesBuilder } from './series';
import { MINUTE_MS, minuteOf, type FiguresStore, type SeriesRange, type StoredFigures } from './types';

/** An entry older than this many flushes behind the newest is a process gone. */
export const STALE_FLUSHES = 3;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;
const COUNTER_BYTES = 4;
/** Day keys asked for in one round trip while reading a series. */
const DAYS_READ_AT_ONCE = 31;

export function statsKeys(prefix: string, blogId: string) {
  const base = `${prefix}blog:{${blogId}}:stats`;
  return { now: `${base}:now`, peak: `${base}:peak`, day: (day: number) => `${base}:day:${day}` };
}

const FLUSH_SCRIPT = {
  name: 'lbStatsFlush',
  keys: 3,
  lua: `
local nowKey, peakKey, dayKey = KEYS[1], KEYS[2], KEYS[3]
-- processId: this process; countJson: its count, {"readers":n,"sites":{...}}, or '' when it has no
-- readers left; nowMs: its clock; staleMs: how far behind nowMs an entry still counts; minuteBit: the
-- minute's counter's bit offset in the day's string (u32 each).
local processId, countJson, nowMs, staleMs, minuteBit = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
if countJson == '' then
  redis.call('HDEL', nowKey, processId)
else
  redis.call('HSET', nowKey, processId, '{"at":' .. ARGV[3] .. ',' .. string.sub(countJson, 2))
end
local total = 0
local entries = redis.call('HGETALL', nowKey)
for i = 1, #entries, 2 do
  local entry = cjson.decode(entries[i + 1])
  if entry.at >= nowMs - staleMs then total = total + entry.readers else redis.call('HDEL', nowKey, entries[i]) end
end
if #entries > 0 then redis.call('PEXPIRE', nowKey, staleMs) end
local best = redis.call('BITFIELD', dayKey, 'GET', 'u32', minuteBit)[1]
if total > best then redis.call('BITFIELD', dayKey, 'SET', 'u32', minuteBit, total) end
redis.call('HSETNX', peakKey, 'first', ARGV[3])
local peak = tonumber(redis.call('HGET', peakKey, 'readers') or '0')
if total > peak then redis.call('HSET', peakKey, 'readers', total, 'at', ARGV[3]) end
return total
`,
};

interface Entry {
  at: number;
  readers: number;
  sites: Record<string, number>;
}

type FlushCommand = (...args: (string | number)[]) => Promise<number>;

export class RedisFigures implements FiguresStore {
  private readonly staleMs: number;

  constructor(
    private readonly redis: SharedRedis,
    private readonly processId: string,
    flushMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.staleMs = flushMs * STALE_FLUSHES + 1_000;
    redis.writer.defineCommand(FLUSH_SCRIPT.name, { numberOfKeys: FLUSH_SCRIPT.keys, lua: FLUSH_SCRIPT.lua });
  }

  async flush(blogId: string, count: LocalCount | null): Promise<void> {
    const keys = statsKeys(this.redis.prefix, blogId);
    const at = this.now();
    const day = Math.floor(at / DAY_MS);
    const minuteBit = (Math.floor(at / MINUTE_MS) % MINUTES_PER_DAY) * COUNTER_BYTES * 8;
    const json = count ? JSON.stringify({ readers: count.readers, sites: count.sites }) : '';
    const command = (this.redis.writer as unknown as Record<string, FlushCommand>)[FLUSH_SCRIPT.name]!;
    await redisCall(() =>
      command.call(this.redis.writer, keys.now, keys.peak, keys.day(day), this.processId, json, at, this.staleMs, minuteBit),
    );
  }

  async read(blogId: string, range: SeriesRange = {}): Promise<StoredFigures> {
    const keys = statsKeys(this.redis.prefix, blogId);
    const client = this.redis.client;
    const [entries, peak] = await redisCall(() => Promise.all([client.hgetall(keys.now), client.hgetall(keys.peak)]));
    const fresh = freshEntries(entries, this.staleMs);
    const first = Number(peak.first);
    const from = Math.max(Number.isFinite(first) ? first : Infinity, range.since ?? 0);
    const to = Math.min(this.now(), range.until ?? Infinity);
    const series = SeriesBuilder.over(from, to);
    if (from <= to) await this.series(client, keys, from, to, series);
    return {
      readersNow: fresh.reduce((total, entry) => total + entry.readers, 0),
      peakReaders: Number(peak.readers ?? 0),
      peakAt: peak.at ? Number(peak.at) : null,
      series: series.series(),
      stepMinutes: series.stepMinutes,
      embeds: topSites(fresh.map((entry) => entry.sites)),
    };
  }

  /** Adds the minutes from `from` to `to` with readers (a minute with none is left out: 0), a day's key at a time. */
  private async series(
    client: RedisClient,
    keys: ReturnType<typeof statsKeys>,
    from: number,
    to: number,
    into: SeriesBuilder,
  ): Promise<void> {
    const [fromMinute, toMinute] = [minuteOf(from), minuteOf(to)];
    const lastDay = Math.floor(to / DAY_MS);
    // A month of days at a time: a year-long blog's 2 MB of counters is never held at once.
    for (let firstDay = Math.floor(from / DAY_MS); firstDay <= lastDay; firstDay += DAYS_READ_AT_ONCE) {
      const days = Array.from({ length: Math.min(DAYS_READ_AT_ONCE, lastDay - firstDay + 1) }, (_, i) => firstDay + i);
      const buffers = await redisCall(() => Promise.all(days.map((day) => client.getBuffer(keys.day(day)))));
      buffers.forEach((buffer, index) => {
        if (!buffer) return;
        const dayStart = days[index]! * DAY_MS;
        for (let offset = 0; offset + COUNTER_BYTES <= buffer.length; offset += COUNTER_BYTES) {
          const readers = buffer.readUInt32BE(offset);
          const at = dayStart + (offset / COUNTER_BYTES) * MINUTE_MS;
          if (readers > 0 && at >= fromMinute && at <= toMinute) into.add(at, readers);
        }
      });
    }
  }
}

/** The entries written within staleMs of the newest: the processes still alive. */
function freshEntries(entries: Record<string, string>, staleMs: number): Entry[] {
  // Written by the flush script alone: an unreadable entry would be a bug, and fails the request (500).
  const parsed = Object.values(entries).map((value) => JSON.parse(value) as Entry);
  const newest = Math.max(...parsed.map((entry) => entry.at));
  return parsed.filter((entry) => entry.at >= newest - staleMs);
}
