#!/usr/bin/env node
// The workspace's `models` binary (`pnpm models …` typed in a package that has no `models` script):
// the root's `pnpm models` script (`node scripts/elt.mjs models …`), run as pnpm runs it.
import { startAsRootScript } from './start-as-root-script.mjs'

await startAsRootScript('models', ['models'])
