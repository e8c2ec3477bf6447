import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The browser UI: one HTML shell, one bundled ES module, one stylesheet. */
export interface WebAssets {
  html: string
  script: string
  style: string
}

/** Paths under this prefix are files: an unknown one is a 404, never the HTML shell. */
export const assetPrefix = '/assets/'

/**
 * What is served at `pathname`: the bundled script, the stylesheet, `undefined` for any other
 * path under `/assets/` (a 404), and the HTML shell for every other path (the UI routes
 * `/tests`, `/runs/<id>`, … in the browser).
 *
 * ```ts
 * webPage(assets, '/assets/app.js') // { type: 'text/javascript', body: '(()=>{…})' }
 * webPage(assets, '/assets/nope.js') // undefined
 * webPage(assets, '/runs') // { type: 'text/html', body: '<!doctype html>…' }
 * ```
 */
export function webPage(assets: WebAssets, pathname: string): { type: string; body: string } | undefined {
  if (pathname === `${assetPrefix}app.js`) return { type: 'text/javascript', body: assets.script }
  if (pathname === `${assetPrefix}app.css`) return { type: 'text/css', body: assets.style }
  if (pathname.startsWith(assetPrefix)) return undefined
  return { type: 'text/html', body: assets.html }
}

const webDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web')

/**
 * Bundles `src/web/main.ts` (plain TypeScript + DOM + canvas, no framework) with esbuild at
 * startup, in memory; about 100 ms.
 *
 * ```ts
 * const assets = await buildWebAssets()
 * assets.script // → '(()=>{…})' served at /assets/app.js
 * ```
 */
export async function buildWebAssets(): Promise<WebAssets> {
  const result = await build({
    entryPoints: [path.join(webDir, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  })
  const script = result.outputFiles[0]!.text
  const style = await readFile(path.join(webDir, 'styles.css'), 'utf8')
  return { html, script, style }
}

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ELT dashboard</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header class="top">
  <span class="brand">elt</span>
  <nav>
    <a href="/" data-nav="lineage">Lineage</a>
    <a href="/tests" data-nav="tests">Tests</a>
    <a href="/runs" data-nav="runs">Runs</a>
    <a href="/schedules" data-nav="schedules">Schedules</a>
  </nav>
</header>
<main id="app"></main>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`
