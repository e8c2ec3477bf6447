import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import * as config from '@elt/config'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import * as cliConfig from '@elt/cli/config'
import { emptyProject, runElt } from './replicate-helpers.ts'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const modelsProject = path.join(repoRoot, 'packages/models/src/index.ts')

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
const folders: string[] = []
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_cfg_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_cfg_dst')
  await source.query(`
    create table films (film_id serial primary key, title text not null);
    insert into films (title) select 'Film ' || g from generate_series(1, 30) g;`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  for (const dir of folders) await rm(dir, { recursive: true, force: true })
  await source?.drop()
  await destination?.drop()
})

/** A folder in the OS temporary folder (outside the repository) holding `files`. */
async function outsideFolder(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-cli-config-'))
  folders.push(dir)
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text)
  return dir
}

/** Schemas a replication would have created in the destination (the last test creates them). */
const createdSchemas = async () =>
  (await destination.query<{ nspname: string }>(`select nspname from pg_namespace where nspname in ('raw', '_elt', 'landing') order by 1`)).map((r) => r.nspname)

describe('config values are checked before anything runs', () => {
  it.each([
    ['replicate: { jobs: "four" }', 'replicate.jobs: expected a whole number ≥ 1, got "four"'],
    ['replicate: { jobs: 0 }', 'replicate.jobs: expected a whole number ≥ 1, got 0'],
    ['replicate: { include: "films" }', 'replicate.include: expected a list of table patterns such as ["films", "public.film_*"], got "films"'],
    ['replicate: { targetSchema: 42 }', 'replicate.targetSchema: expected a schema name (text of 1 to 63 bytes), got 42'],
    ['replicat: { jobs: 2 }', 'replicat: unknown key (did you mean "replicate"?)'],
    ['replicate: { jbos: 2 }', 'replicate.jbos: unknown key (did you mean "jobs"?)'],
    ['targets: { prod: { schema: "analytics", grants: ["bi"] } }', 'targets.prod.grants: unknown key (known keys: schema)'],
  ])('`replicate` with { %s } exits 2 naming the field, the value and what is expected; the destination is untouched', async (body, line) => {
    const cwd = await emptyProject(`export default { ${body} }\n`)
    folders.push(cwd)
    const { code, stdout, stderr } = await runElt(['replicate', '--json'], env, cwd)
    expect(code, stderr).toBe(2)
    expect(stderr).toBe(`error: Invalid config in ${path.join(cwd, 'elt.config.ts')}:\n  ${line}\nEvery key and its values are listed under Configuration in README.md.\n`)
    expect(stdout).toBe('')
    expect(await createdSchemas()).toEqual([])
  })

  it('lists every problem of the file at once', async () => {
    const cwd = await emptyProject(`export default { replicate: { jobs: 'four', include: 'films', targetSchema: 42 }, replicat: {} }\n`)
    folders.push(cwd)
    const { code, stderr } = await runElt(['replicate'], env, cwd)
    expect(code).toBe(2)
    expect(stderr.split('\n').slice(1, 5)).toEqual([
      '  replicate.include: expected a list of table patterns such as ["films", "public.film_*"], got "films"',
      '  replicate.targetSchema: expected a schema name (text of 1 to 63 bytes), got 42',
      '  replicate.jobs: expected a whole number ≥ 1, got "four"',
      '  replicat: unknown key (did you mean "replicate"?)',
    ])
    expect(await createdSchemas()).toEqual([])
  })

  it('an invalid --config file is exit 2 for every command, naming that file', async () => {
    const home = await outsideFolder({ 'bad.json': JSON.stringify({ replicate: { jobs: 0 } }) })
    for (const command of ['ls', 'compile', 'build', 'test', 'run', 'codegen', 'replicate']) {
      const { code, stderr } = await runElt([command, '--config', path.join(home, 'bad.json')], env)
      expect([command, code, stderr.split('\n')[1]]).toEqual([command, 2, '  replicate.jobs: expected a whole number ≥ 1, got 0'])
    }
    expect(await createdSchemas()).toEqual([])
  })
})

describe('--config FILE', () => {
  it('a .mjs file outside the repository, importing nothing: `ls` reads its models.project relative to the file', async () => {
    const home = await outsideFolder()
    await writeFile(path.join(home, 'nightly.mjs'), `export default { models: { project: ${JSON.stringify(path.relative(home, modelsProject))} }, targets: { nightly: { schema: 'nightly_marts' } }, defaultTarget: 'nightly' }\n`)
    const cwd = await outsideFolder() // elsewhere: resolving against the current folder would find no models
    const { code, stdout, stderr } = await runElt(['ls', '--json', '--config', path.join(home, 'nightly.mjs'), '--select', 'stg_films'], { SOURCE_DATABASE_URL: 'postgres://u@127.0.0.1:1/none', DESTINATION_DATABASE_URL: 'postgres://u@127.0.0.1:1/none' }, cwd)
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout).nodes.map((n: { id: string; relation: string }) => [n.id, n.relation])).toEqual([['model.stg_films', 'nightly_marts.stg_films']])
  })

  it('a .json file outside the repository: `compile` uses it and writes target/ next to it', async () => {
    const home = await outsideFolder()
    await writeFile(path.join(home, 'elt.json'), JSON.stringify({ models: { project: path.relative(home, modelsProject) }, defaultTarget: 'dev' }))
    const cwd = await outsideFolder()
    const { code, stdout, stderr } = await runElt(['compile', '--config', path.relative(cwd, path.join(home, 'elt.json')), '--select', 'stg_films'], { ...env, USER: 'Ci.Bot' }, cwd)
    expect(code, stderr).toBe(0)
    expect(stdout).toBe('-- stg_films (view → "analytics_ci_bot"."stg_films")\nselect "film_id", "title", "release_date", "price", "rating", "user_rating" from "raw"."films" as "films";\n')
    const manifest = JSON.parse(await readFile(path.join(home, 'target', 'manifest.json'), 'utf8'))
    expect(manifest.nodes['model.stg_films'].relation).toBe('"analytics_ci_bot"."stg_films"')
  })
})

describe('the repository config', () => {
  it('is valid, and @elt/cli/config still exports defineConfig for older configs', async () => {
    const loaded = await config.loadConfig(repoRoot)
    expect(loaded.file).toBe(path.join(repoRoot, 'elt.config.ts'))
    expect(loaded.config.models.project).toBe(modelsProject)
    // its sources: the source database, the sample CSV next to init.sql, and the sample mongoexport of CCB contracts
    expect(loaded.config.sources).toEqual({
      postgres: { kind: 'postgres', schemas: ['public'], targetSchema: 'raw' },
      ticket_sales: { kind: 'csv', path: path.join(repoRoot, 'source_db_init/ticket_sales.csv'), table: 'ticket_sales', targetSchema: 'raw' },
      ccb: { kind: 'mongodb-export', path: path.join(repoRoot, 'source_db_init/ccb_contratos.jsonl'), mapping: 'ccb_contracts', targetSchema: 'ccb' },
    })
    expect(cliConfig.defineConfig).toBe(config.defineConfig)
  })
})

describe('a valid config', () => {
  it('a valid config replicates with its values (the same destination the rejected ones left untouched)', async () => {
    const cwd = await emptyProject(`export default { replicate: { jobs: 1, include: ['films'], targetSchema: 'landing' } }\n`)
    folders.push(cwd)
    const { code, stdout, stderr } = await runElt(['replicate', '--json'], env, cwd)
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout).tables.map((t: { target: string; rows: number }) => [t.target, t.rows])).toEqual([['landing.films', 30]])
    expect(await destination.query(`select count(*)::int as n from landing.films`)).toEqual([{ n: 30 }])
  })
})
