import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EltError, describeError } from '@elt/core'
import { findImportCycle } from '../src/define/import-cycle.ts'
import { loadProject } from '../src/index.ts'

const runnerEntry = fileURLToPath(new URL('../src/index.ts', import.meta.url))
let dir: string

/** Writes a project: `files` maps a path inside the temporary folder to its source. */
async function project(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(dir, name)
  for (const [relative, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true })
    await writeFile(path.join(root, relative), text.replaceAll('RUNNER', JSON.stringify(runnerEntry)))
  }
  return path.join(root, 'index.ts')
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elt-import-cycle-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

// staging/stg_films.ts defines the source and a model reading the mart; the mart reads the source back
const cyclic = {
  'index.ts': `export * from './staging/stg_films.ts'\nexport * from './marts/film_ratings.ts'\n`,
  'staging/stg_films.ts': `import { defineModel, defineSource } from RUNNER
import { filmRatings } from '../marts/film_ratings.ts'
export const films = defineSource({ schema: 'raw', name: 'films' })
export const stgFilms = defineModel({ name: 'stg_films', from: { filmRatings }, query: (db) => db.selectFrom('filmRatings').selectAll() })
`,
  'marts/film_ratings.ts': `import { defineModel } from RUNNER
import { films } from '../staging/stg_films.ts'
export const filmRatings = defineModel({ name: 'film_ratings', from: { films }, query: (db) => db.selectFrom('films').selectAll() })
`,
}

describe('an import cycle between model modules', () => {
  it('is reported as the cycle of files, exit 2, instead of "Cannot access … before initialization"', async () => {
    const entry = await project('cyclic', cyclic)
    const error = await loadProject(entry).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EltError)
    expect((error as EltError).exitCode).toBe(2)
    expect(describeError(error)).toMatch(
      /^Import cycle between model modules: staging\/stg_films\.ts → marts\/film_ratings\.ts → staging\/stg_films\.ts \(.*\)\. A module must not import, directly or through the project index, a module that imports it back/,
    )
  })

  it('reads imports without running them: type-only imports do not count, .js and folder specifiers resolve', async () => {
    const entry = await project('scan', {
      'index.ts': `export { a } from './a.js'\n`,
      'a.ts': `import type { C } from './c.ts'\nimport { b } from './lib'\nexport const a: C = b\n`,
      'lib/index.ts': `export { b } from '../b.ts'\n`,
      'b.ts': `import { a } from "./a.ts" // back to a\nexport const b = 1\n`,
      'c.ts': `import { a } from './a.ts'\nexport type C = typeof a\n`,
    })
    expect(await findImportCycle(entry)).toEqual(['a.ts', 'lib/index.ts', 'b.ts', 'a.ts'].map((f) => path.join(dir, 'scan', f)))
  })

  it('prefers the cycle through the file declaring the name the error gives, and finds none in an acyclic project', async () => {
    const entry = await project('two', {
      'index.ts': `import './x.ts'\nimport './p.ts'\n`,
      'x.ts': `import './y.ts'\nexport const x = 1\n`,
      'y.ts': `import './x.ts'\n`,
      'p.ts': `import './q.ts'\n`,
      'q.ts': `import './p.ts'\nexport const stgFilms = 1\n`,
    })
    expect(await findImportCycle(entry)).toEqual(['x.ts', 'y.ts', 'x.ts'].map((f) => path.join(dir, 'two', f)))
    expect(await findImportCycle(entry, { declaring: 'stgFilms' })).toEqual(['p.ts', 'q.ts', 'p.ts'].map((f) => path.join(dir, 'two', f)))
    const acyclic = await project('acyclic', { 'index.ts': `import './p.ts'\nimport type { T } from './q.ts'\n`, 'p.ts': `export const p = 1\n`, 'q.ts': `import { p } from './p.ts'\nexport type T = typeof p\n` })
    expect(await findImportCycle(acyclic)).toBeUndefined()
  })
})
