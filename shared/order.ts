/**
 * Updates are shown newest first by `publishedAt`; two with the same instant fall back to their ids,
 * which start with their creation time. The order key sorts as a string, so Redis can page by it
 * (ZRANGE … BYLEX) and the browser can insert a back-dated update in its place with a string compare.
 */
export function updateOrderKey(publishedAt: string, id: string): string {
  return `${String(Date.parse(publishedAt)).padStart(15, '0')}:${id}`;
}
