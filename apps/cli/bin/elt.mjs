#!/usr/bin/env node
// The workspace's `elt` binary (`pnpm elt …` typed in a package that has no `elt` script, `pnpm exec elt …`):
// the root's `pnpm elt` script, run as pnpm runs it: in the workspace root, the folder it was typed in as INIT_CWD.
import { startAsRootScript } from './start-as-root-script.mjs'

await startAsRootScript('elt', [])
