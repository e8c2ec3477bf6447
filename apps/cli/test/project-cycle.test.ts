import { spawn } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { emptyProject } from './replicate-helpers.ts'

const repo = fileURLToPath(new URL('../../../', import.meta.url))
const runner = JSON.stringify(path.join(repo, 'packages/runner/src/index.ts'))

describe('models whose modules import each other', () => {
  it('`elt compile` exits 2 naming the cycle of files (as a real process, with Node evaluating the modules)', async () => {
    const cwd = await emptyProject(`export default { models: { project: './models/index.ts' } }\n`)
    try {
      await mkdir(path.join(cwd, 'models'))
      await writeFile(path.join(cwd, 'models/index.ts'), `export * from './stg_films.ts'\nexport * from './film_ratings.ts'\n`)
      await writeFile(
        path.join(cwd, 'models/stg_films.ts'),
        `import { defineModel, defineSource } from ${runner}
import { filmRatings } from './film_ratings.ts'
const films = defineSource({ schema: 'raw', name: 'films' })
export const stgFilms = defineModel({ name: 'stg_films', from: { films }, query: (db) => db.selectFrom('films').selectAll() })
export const topFilms = defineModel({ name: 'top_films', from: { filmRatings }, query: (db) => db.selectFrom('filmRatings').selectAll() })
`,
      )
      await writeFile(
        path.join(cwd, 'models/film_ratings.ts'),
        `import { defineModel } from ${runner}
import { stgFilms } from './stg_films.ts'
export const filmRatings = defineModel({ name: 'film_ratings', from: { stgFilms }, query: (db) => db.selectFrom('stgFilms').selectAll() })
`,
      )
      const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href, path.join(repo, 'apps/cli/src/main.ts'), 'compile'], {
        cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk))
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
      expect(code, stderr).toBe(2)
      expect(stderr).toContain(
        "error: Import cycle between model modules: stg_films.ts → film_ratings.ts → stg_films.ts (Cannot access 'stgFilms' before initialization). A module must not import",
      )
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })
})
