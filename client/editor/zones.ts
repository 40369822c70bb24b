/**
 * Time zones as editors name them today, and wall-clock times in a chosen zone. Browsers list the zones
 * by their CLDR ids, some of which keep spellings that places dropped long ago ("Europe/Kiev"): the desk
 * shows the current IANA names and still accepts the old ones.
 */

/** Old spellings that browsers still return → the name the place uses now. */
const RENAMED: Record<string, string> = {
  'Europe/Kiev': 'Europe/Kyiv',
  'Europe/Uzhgorod': 'Europe/Kyiv',
  'Europe/Zaporozhye': 'Europe/Kyiv',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'America/Godthab': 'America/Nuuk',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** A zone's current name. */
export function currentZoneName(zone: string): string {
  return RENAMED[zone] ?? zone;
}

/** The browser's own zone, by its current name. */
export function browserZone(): string {
  return currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone);
}

let zones: string[] | null = null;

/** Every zone the browser knows, by current names, sorted. */
export function zoneNames(): string[] {
  if (!zones) {
    const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [browserZone(), 'UTC'];
    zones = [...new Set(known.map(currentZoneName))].sort();
  }
  return zones;
}

/** True when the browser can compute times in `zone` (old and new spellings alike). */
export function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false; // RangeError: not a zone this browser knows
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

function partsIn(zone: string, time: number): Record<string, number> {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(zone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(time)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return parts;
}

/** How far `zone`'s clock is ahead of UTC at `time`, in milliseconds. */
function offsetAt(zone: string, time: number): number {
  const p = partsIn(zone, time);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(time / 1000) * 1000;
}

/** `2025-01-11T17:45` on the clocks of `zone` → an instant (ms); NaN for a malformed value. */
export function zonedToInstant(local: string, zone: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!match) return NaN;
  const [, y, mo, d, h, mi] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let instant = wall - offsetAt(zone, wall);
  const corrected = wall - offsetAt(zone, instant);
  if (corrected !== instant) instant = corrected; // the guess fell on the other side of a clock change
  return instant;
}

/** An instant → `2025-01-11T17:45` on the clocks of `zone`, for a datetime-local input. */
export function instantToZoned(time: number, zone: string): string {
  const p = partsIn(zone, time);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

/** "UTC+02:00": `zone`'s offset at `time`. */
export function utcOffset(zone: string, time: number): string {
  const minutes = Math.round(offsetAt(zone, time) / 60_000);
  const sign = minutes >= 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/** "17:45:03": a moment today, on the editor's clock, as the desk's status lines say it. */
export function clockTime(iso: string): string {
  return clock.format(new Date(iso));
}

/** What keeps a hand-set time from being read: no zone the browser knows, or no time. */
export type TimeProblem = 'zone' | 'time';

/**
 * A hand-set time (`2025-01-11T17:45` on the clocks of `zone`) as the API takes it. A zone the browser
 * cannot read is a problem to tell the editor, never a reason to guess: the browser's zone would publish
 * at another hour than the one typed. Both the composer and the edit form read times with this.
 */
export function readZonedTime(local: string, zone: string): { iso: string } | { problem: TimeProblem } {
  const name = zone.trim();
  if (!isZone(name)) return { problem: 'zone' };
  const instant = zonedToInstant(local, name);
  return Number.isNaN(instant) ? { problem: 'time' } : { iso: new Date(instant).toISOString() };
}

const minuteClock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayClock = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });

/** "17:46" today, "27 Nov, 17:46" another day: when someone did something, on the editor's clock. */
export function shortTime(iso: string, now = Date.now()): string {
  const date = new Date(iso);
  const day = dayClock.format(date);
  return day === dayClock.format(new Date(now)) ? minuteClock.format(date) : `${day}, ${minuteClock.format(date)}`;
}
