// Builds the browser bundles into dist/public with esbuild and prints each file's gzipped size.
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const outdir = 'dist/public';
mkdirSync(outdir, { recursive: true });

const entries = {
  reader: 'client/reader/main.ts',
  editor: 'client/editor/main.ts',
};

await build({
  entryPoints: entries,
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
await build({
  entryPoints: { reader: 'client/reader/reader.css', editor: 'client/editor/editor.css' },
  outdir,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});

for (const file of ['reader.js', 'reader.css', 'editor.js', 'editor.css']) {
  const bytes = readFileSync(path.join(outdir, file));
  console.log(`${file.padEnd(12)} ${(bytes.length / 1024).toFixed(1).padStart(6)} KB  ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1).padStart(5)} KB gzipped`);
}
