#!/usr/bin/env node
// The workspace's `elt` binary (`pnpm elt …` typed in a package that has no `elt` script, `pnpm exec elt …`):
// the same compiled CLI as the root's `pnpm elt` script.
import '../../../scripts/elt.mjs'
