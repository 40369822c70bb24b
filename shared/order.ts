/**
 * Updates are shown newest first by `publishedAt`; two with the same instant fall back to their ids,
 * which start with their creation time. The order key sorts as a string, so Redis can page by it
 * (ZRANGE … BYLEX) and the browser can insert a back-dated update in its place with a string compare.
 */
export function updateOrderKey(publishedAt: string, id: string): string {
  return `${String(Date.parse(publishedAt)).padStart(15, '0')}:${id}`;
}

/** Readers see the pinned update first, then the rest newest first: this key sorts them so, descending. */
export function displayOrderKey(update: { publishedAt: string; id: string; pinned: boolean }): string {
  return `${update.pinned ? '1' : '0'}:${updateOrderKey(update.publishedAt, update.id)}`;
}
