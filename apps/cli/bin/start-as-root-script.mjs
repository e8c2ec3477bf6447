import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/**
 * Runs `scripts/elt.mjs` as pnpm runs the root's `script`: in the workspace root, with the folder
 * the command was typed in as `INIT_CWD` (where the CLI reads a relative `--config` and looks for a
 * config file first), `args` before the command line's own.
 *
 * ```js
 * await startAsRootScript('models', ['models']) // `models ls` typed in packages/models = `pnpm models ls` at the root
 * ```
 */
export async function startAsRootScript(script, args) {
  process.env.INIT_CWD = process.cwd()
  process.env.npm_lifecycle_event = script
  process.chdir(root)
  process.argv.splice(2, 0, ...args)
  await import(path.join(root, 'scripts/elt.mjs'))
}
