/**
 * This process's readers of each blog, and the sites they read on, counted from its Socket.IO rooms
 * when the figures are flushed (every few seconds): nothing is done per reader event. The rule is
 * presence.ts's: a blog's room less the newsroom's connections in it.
 */
import { NEWSROOM_ROOM, roomBlog } from '../../shared/events';
import type { LiveServer } from '../realtime/context';
import { cachedSiteOf, MAX_SITES, OTHER } from './sites';

export interface LocalCount {
  readers: number;
  /** Readers by site (sites.ts): at most MAX_SITES + `other`. */
  sites: Record<string, number>;
}

export function countLocal(io: LiveServer): Map<string, LocalCount> {
  const namespace = io.of('/');
  const rooms = namespace.adapter.rooms;
  const newsroom = rooms.get(NEWSROOM_ROOM);
  const counts = new Map<string, LocalCount>();
  for (const [room, members] of rooms) {
    const blogId = roomBlog(room);
    if (blogId === null) continue;
    const sites = new Map<string, number>();
    let readers = 0;
    for (const socketId of members) {
      if (newsroom?.has(socketId)) continue;
      readers += 1;
      const socket = namespace.sockets.get(socketId);
      const site = socket ? cachedSiteOf(socket) : OTHER;
      sites.set(site, (sites.get(site) ?? 0) + 1);
    }
    // Every site is counted first (at most one per reader), then the largest kept: the first sites seen
    // must not hold the places (fifty made-up origins would hide the newspaper with the readers).
    if (readers > 0) counts.set(blogId, { readers, sites: largest(sites) });
  }
  return counts;
}

/** The MAX_SITES largest sites, the rest added to `other`. */
function largest(sites: Map<string, number>): Record<string, number> {
  if (sites.size <= MAX_SITES) return Object.fromEntries(sites);
  const kept: Record<string, number> = {};
  for (const { origin, readers } of topSites([Object.fromEntries(sites)])) kept[origin] = readers;
  return kept;
}

/** Adds up counts by site, keeping the MAX_SITES largest and the rest as `other`, most first. */
export function topSites(all: Record<string, number>[]): { origin: string; readers: number }[] {
  const sum = new Map<string, number>();
  for (const sites of all) for (const [site, readers] of Object.entries(sites)) sum.set(site, (sum.get(site) ?? 0) + readers);
  const sorted = [...sum].filter(([site]) => site !== OTHER).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rest = sorted.slice(MAX_SITES).reduce((total, [, readers]) => total + readers, sum.get(OTHER) ?? 0);
  const kept = sorted.slice(0, MAX_SITES).map(([origin, readers]) => ({ origin, readers }));
  return rest > 0 ? [...kept, { origin: OTHER, readers: rest }] : kept;
}
