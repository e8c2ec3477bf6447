import { pathToFileURL } from 'node:url'

let typeScriptLoader: (() => Promise<void>) | undefined
let loaded: Promise<void> | undefined

/**
 * How to make `.ts` modules importable, set by an entry point compiled to JavaScript (which
 * runs without a TypeScript loader): `load` runs once, right before the first `.ts` module of
 * the project is imported, so a command that needs none never pays for it.
 *
 * ```ts
 * setTypeScriptLoader(async () => void (await import('tsx/esm/api')).register())
 * ```
 */
export function setTypeScriptLoader(load: () => Promise<void>): void {
  typeScriptLoader = load
}

/**
 * Imports a module of the user's project by its file path (`elt.config.ts`, the models
 * project), registering the TypeScript loader first when the file needs it (see
 * {@link setTypeScriptLoader}; run from TypeScript, e.g. under tsx or vitest, nothing is registered).
 *
 * ```ts
 * const { default: config } = (await importModule('/work/app/elt.config.ts')) as { default?: unknown }
 * ```
 */
export async function importModule(file: string): Promise<unknown> {
  if (typeScriptLoader !== undefined && /\.[cm]?tsx?$/i.test(file)) await (loaded ??= typeScriptLoader())
  const namespace = (await import(pathToFileURL(file).href)) as { default?: unknown }
  // A module compiled to CommonJS (a `.ts` file outside a `"type": "module"` package) arrives with
  // its exports under `default`, marked `__esModule`: unwrap it, as tsx and bundlers do.
  const inner = namespace.default
  return typeof inner === 'object' && inner !== null && (inner as { __esModule?: unknown }).__esModule === true ? inner : namespace
}
