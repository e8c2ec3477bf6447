#!/usr/bin/env node
// The workspace's `models` binary (`pnpm models …` typed in a package that has no `models` script):
// the root's `pnpm models` script, `node scripts/elt.mjs models …`.
process.argv.splice(2, 0, 'models')
await import('../../../scripts/elt.mjs')
