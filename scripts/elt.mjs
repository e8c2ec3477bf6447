// `pnpm elt …` / `pnpm models …`: runs the CLI compiled to JavaScript (scripts/build-cli.mjs),
// rebuilding it first when a source changed since the last build.
import { pathToFileURL } from 'node:url'
import { freshCliBuild } from './build-cli.mjs'

await import(pathToFileURL(await freshCliBuild()).href)
