/**
 * Entry point of the compiled CLI: `pnpm elt` runs the JavaScript bundle that
 * `scripts/build-cli.mjs` builds from this file, with no TypeScript loader in the process.
 * The project's own TypeScript (`elt.config.ts`, the models) is imported through tsx,
 * registered only when the first such file is imported (see `importModule` in @elt/core),
 * together with the build's resolve hook, which gives those modules the CLI's own copy of
 * the workspace packages they import (`@elt/runner`, `@elt/config`, …).
 */
import { register as registerHooks } from 'node:module'
import { setTypeScriptLoader } from '@elt/core'

setTypeScriptLoader(async () => {
  // tsx's hooks for ES modules and for CommonJS, as `node --import tsx` has them (a `.ts` file outside
  // a `"type": "module"` package is CommonJS)
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])
  esm.register()
  cjs.register()
  registerHooks(new URL('./resolve-hook.mjs', import.meta.url)) // registered last, so it resolves first
})
await import('./main.ts')
