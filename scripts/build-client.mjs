// Builds the browser bundles into dist/public with esbuild and prints each file's gzipped size.
import { build } from 'esbuild';
import { transform as transformCss } from 'lightningcss';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const outdir = 'dist/public';
mkdirSync(outdir, { recursive: true });

/**
 * The browsers the stylesheets are written down to (2021 onwards): Lightning CSS lowers what they lack,
 * above all `light-dark()`, so that the palette is written once and still follows the reader's colour
 * scheme on a browser from before 2024.
 */
const CSS_TARGETS = { chrome: 100 << 16, firefox: 100 << 16, safari: 15 << 16 };

function minifiedCss(file) {
  return transformCss({ filename: file, code: readFileSync(file), minify: true, targets: CSS_TARGETS }).code.toString();
}

/** Imports of .css files become their minified text. */
const cssAsMinifiedText = {
  name: 'css-as-minified-text',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.css$/ }, (args) => ({
      contents: `export default ${JSON.stringify(minifiedCss(args.path))};`,
      loader: 'js',
    }));
  },
};

/** engine.io-client's WebTransport transport is never asked for (see scripts/stubs/webtransport.js). */
const withoutWebTransport = {
  name: 'without-webtransport',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\/webtransport\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}engine.io-client${path.sep}`)
        ? { path: path.resolve('scripts/stubs/webtransport.js') }
        : undefined,
    );
  },
};

const entries = {
  reader: 'client/reader/main.ts',
  editor: 'client/editor/main.ts',
  embed: 'client/embed/main.ts',
  // The desk's readers chart (uPlot): loaded by the desk when its Figures open, never by readers.
  'desk-stats': 'client/editor/stats-chart.ts',
  // The service worker that shows key-event notifications; served from the root (/push-sw.js) for its scope.
  'push-sw': 'client/sw/push-sw.ts',
};

await build({
  entryPoints: entries,
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022'],
  sourcemap: 'linked',
  legalComments: 'none',
  // The widget carries its stylesheet as (minified) text, for its shadow root.
  plugins: [cssAsMinifiedText, withoutWebTransport],
  logLevel: 'warning',
});
for (const [name, file] of Object.entries({ reader: 'client/reader/reader.css', editor: 'client/editor/editor.css' })) {
  writeFileSync(path.join(outdir, `${name}.css`), minifiedCss(file));
}

/** Everything the one-tag widget loads, gzipped, at most: a test fails the build beyond it. */
export const WIDGET_BUDGET_BYTES = 20 * 1024;

/**
 * Each bundle is also written compressed, brotli at its best and gzip at its best, once here rather than
 * on every request: the server sends whichever the browser takes (express-static-gzip).
 */
for (const file of ['reader.js', 'reader.css', 'editor.js', 'editor.css', 'embed.js', 'desk-stats.js', 'push-sw.js']) {
  const bytes = readFileSync(path.join(outdir, file));
  const gzipped = gzipSync(bytes, { level: 9 });
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(path.join(outdir, `${file}.gz`), gzipped);
  writeFileSync(path.join(outdir, `${file}.br`), brotli);
  const note = file === 'embed.js' ? `  (the whole widget; budget ${WIDGET_BUDGET_BYTES / 1024} KB gzipped)` : '';
  const kb = (n) => (n / 1024).toFixed(1).padStart(5);
  console.log(`${file.padEnd(12)} ${kb(bytes.length)} KB  ${kb(gzipped.length)} KB gzip  ${kb(brotli.length)} KB brotli${note}`);
}
