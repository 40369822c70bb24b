/**
 * The browser bundles built by `npm run build:client` into dist/public. Each URL carries a hash of the
 * file's content, so browsers and CDNs may keep a file for a year and still never run a stale one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The project's root, whether this file runs from server/ (tests) or dist/server/ (npm start). */
export const PROJECT_ROOT = path.resolve(__dirname, path.basename(path.dirname(__dirname)) === 'dist' ? '../..' : '..');
export const PUBLIC_DIR = path.join(PROJECT_ROOT, 'dist', 'public');

export const ASSET_NAMES = ['reader.js', 'reader.css', 'editor.js', 'editor.css', 'embed.js', 'desk-stats.js'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

export interface Assets {
  dir: string;
  url(name: AssetName): string;
}

export function loadAssets(dir = PUBLIC_DIR): Assets {
  const urls = new Map<string, string>();
  for (const name of ASSET_NAMES) {
    const file = path.join(dir, name);
    if (!existsSync(file)) throw new Error(`missing ${file}: run \`npm run build\` first`);
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
    urls.set(name, `/assets/${name}?v=${hash}`);
  }
  return { dir, url: (name) => urls.get(name)! };
}
