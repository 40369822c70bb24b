/** Media limits and URLs, shared by the server, the desk and the widget (which lives on other sites' pages). */

/** Limits of an upload (the contract's): the server refuses beyond them, the desk says them first. */
export const MEDIA_LIMITS = {
  /** Larger files are refused with 413. */
  fileBytes: 20 * 1024 * 1024,
  /** Pictures with more pixels (of the first frame, the only one decoded) are refused from their header, before decoding. */
  pixels: 50_000_000,
  /** alt, caption and credit, in characters. */
  altChars: 500,
  captionChars: 1000,
  creditChars: 200,
} as const;

/** Root-relative media URLs (in src, srcset and href) made absolute with `origin`: for the feed and other sites. */
export function absoluteMedia(html: string, origin: string): string {
  return html.replace(/ (src|srcset|href)="(\/media\/[^"]*)"/g, (_attribute, name: string, value: string) => {
    return ` ${name}="${value.replace(/(^|, )\/media\//g, `$1${origin}/media/`)}"`;
  });
}
