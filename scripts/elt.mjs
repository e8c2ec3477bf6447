// `pnpm elt …` / `pnpm models …`: runs the CLI compiled to JavaScript (scripts/build-cli.mjs),
// rebuilding it first when a source changed since the last build.
import { pathToFileURL } from 'node:url'
import { freshCliBuild } from './build-cli.mjs'

let entry
try {
  entry = await freshCliBuild()
} catch (error) {
  // esbuild has printed each error with its file and line above
  console.error(`error: Could not compile the CLI (${error instanceof Error ? error.message.split('\n')[0]?.replace(/:$/, '') : String(error)}). Fix the source named above, then rerun.`)
  process.exit(1)
}
await import(pathToFileURL(entry).href)
