// build.mjs - bundles the console with esbuild into OUTDIR (default ../build/console):
//   OUTDIR/index.html             the page for every /console route (no-cache)
//   OUTDIR/favicon.svg
//   OUTDIR/assets/main-<hash>.js  the app and the AWS SDK clients it uses (immutable)
//   OUTDIR/assets/main-<hash>.css
// Usage: node build.mjs [--outdir DIR] [--sourcemap]. Works offline once node_modules exists.
import * as esbuild from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, copyFileSync, renameSync, existsSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outdir = resolve(opt('--outdir') || process.env.CONSOLE_OUTDIR || join(here, '..', 'build', 'console'));
const sourcemap = args.includes('--sourcemap');

// Build into a fresh sibling directory, then swap it in, so a running catalogd never
// serves a half-written console.
const tmp = `${outdir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(join(tmp, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  outdir: join(tmp, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  sourcemap: sourcemap ? 'linked' : false,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`esbuild produced no ${js ? 'CSS' : 'JS'} bundle`);

writeFileSync(join(tmp, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catalogd console</title>
<link rel="icon" href="/console/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/${css}">
<script type="module" src="/console/assets/${js}"></script>
</head>
<body>
<div id="app"><noscript>The catalogd console needs JavaScript.</noscript></div>
</body>
</html>
`);
copyFileSync(join(here, 'favicon.svg'), join(tmp, 'favicon.svg'));

const old = `${outdir}.old-${process.pid}`;
mkdirSync(dirname(outdir), { recursive: true });
if (existsSync(outdir)) renameSync(outdir, old);
renameSync(tmp, outdir);
rmSync(old, { recursive: true, force: true });

const kb = (f) => Math.round(result.metafile.outputs[Object.keys(result.metafile.outputs).find((p) => p.endsWith(f))].bytes / 1024);
console.log(`console: built ${outdir} (${js} ${kb(js)} KiB, ${css} ${kb(css)} KiB)`);
