import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { commands } from '../src/commands/index.ts'
import { renderOverview } from '../src/help.ts'

const readme = () => readFile(new URL('../../../README.md', import.meta.url), 'utf8')

describe('README', () => {
  it('shows the current `pnpm elt --help`', async () => {
    const block = /<!-- elt --help -->\n```\n([\s\S]*?)\n```\n<!-- \/elt --help -->/.exec(await readme())
    expect(block?.[1]).toBe(renderOverview(commands))
  })

  it('names only commands that exist', async () => {
    const used = new Set([...(await readme()).matchAll(/pnpm (?:elt|models) ([a-z][a-z-]*)/g)].map((m) => m[1]))
    const known = new Set(commands.map((c) => c.name))
    expect([...used].filter((name) => !known.has(name!))).toEqual([])
  })
})
