import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyProject, runElt } from './replicate-helpers.ts'
import { fileURLToPath } from 'node:url'

const modelsProject = fileURLToPath(new URL('../../../packages/models/src/index.ts', import.meta.url))
const modelsConfig = `export default { models: { project: ${JSON.stringify(modelsProject)} } }\n`

// No database: compile and ls only read the project.
const env = { SOURCE_DATABASE_URL: 'postgres://u@127.0.0.1:1/none', DESTINATION_DATABASE_URL: 'postgres://u@127.0.0.1:1/none' }

describe('elt compile', () => {
  it('prints the compiled SQL of the selection and writes the manifest', async () => {
    const cwd = await emptyProject(modelsConfig)
    const { code, stdout } = await runElt(['compile', '--select', 'stg_films'], env, cwd)
    expect(code).toBe(0)
    expect(stdout).toBe(
      '-- stg_films (view → "analytics"."stg_films")\n' +
        'select "film_id", "title", "release_date", "price", "rating", "user_rating" from "raw"."films" as "films";\n',
    )
    const manifest = JSON.parse(await readFile(path.join(cwd, 'target', 'manifest.json'), 'utf8'))
    expect(manifest.nodes['model.film_ratings'].sql).toContain('with "__ephemeral_int_actor_ratings" as (')
  })

  it('--json gives each model with its SQL', async () => {
    const { code, stdout } = await runElt(['compile', '--json', 'tag:marts'], env, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    const { models } = JSON.parse(stdout)
    expect(models.map((m: { name: string }) => m.name)).toEqual(['actor_filmography', 'film_ratings', 'category_stats', 'film_sales', 'user_directory'])
    expect(models.find((m: { name: string }) => m.name === 'category_stats').sql).toContain('from "analytics"."stg_film_category" as "fc" inner join "analytics"."film_ratings" as "fr"')
  })
})

describe('elt ls', () => {
  it('lists the selected nodes in dependency order', async () => {
    const { code, stdout } = await runElt(['ls', '--json', '--select', '+film_ratings'], env, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    const { nodes } = JSON.parse(stdout)
    expect(nodes.map((n: { id: string }) => n.id)).toEqual([
      'source.raw.actors',
      'model.stg_actors',
      'source.raw.film_actors',
      'model.stg_film_actors',
      'source.raw.films',
      'model.stg_films',
      'model.int_actor_ratings',
      'model.film_ratings',
    ])
    expect(nodes.at(-1)).toMatchObject({ kind: 'model', materialized: 'table', relation: 'analytics.film_ratings', tags: ['marts'] })
  })

  it('source:<name>+ lists the tables a configured source loads and what is downstream; the manifest names each loader', async () => {
    const csv = fileURLToPath(new URL('../../../source_db_init/ticket_sales.csv', import.meta.url))
    const cwd = await emptyProject(
      `export default { models: { project: ${JSON.stringify(modelsProject)} }, sources: {\n` +
        `  postgres: { kind: 'postgres' },\n  sales_export: { kind: 'csv', path: ${JSON.stringify(csv)}, table: 'ticket_sales' },\n} }\n`,
    )
    const { code, stdout } = await runElt(['ls', '--json', '--select', 'source:sales_export+'], env, cwd)
    expect(code).toBe(0)
    const { nodes } = JSON.parse(stdout)
    expect(nodes.map((n: { id: string }) => n.id)).toEqual(['source.raw.ticket_sales', 'model.stg_ticket_sales', 'model.film_sales'])
    expect(nodes[0].loader).toEqual({ source: 'sales_export', kind: 'csv', from: csv })
    // one table of the postgres source, by its name or its source-side name; a schema still works
    for (const selector of ['source:postgres.films', 'source:postgres.public.films', 'source:raw.films']) {
      const one = await runElt(['ls', '--json', selector], env, cwd)
      expect(JSON.parse(one.stdout).nodes.map((n: { id: string }) => n.id)).toEqual(['source.raw.films'])
    }
    const text = await runElt(['ls', '--select', 'source:sales_export'], env, cwd)
    expect(text.stdout).toMatch(/^id +materialized +relation +tags\nsource\.raw\.ticket_sales +source +raw\.ticket_sales *\n$/)
    expect((await runElt(['compile', '--select', 'film_sales'], env, cwd)).code).toBe(0)
    const manifest = JSON.parse(await readFile(path.join(cwd, 'target', 'manifest.json'), 'utf8'))
    expect(manifest.nodes['source.raw.ticket_sales'].loader).toEqual({ source: 'sales_export', kind: 'csv', from: csv })
    expect(manifest.nodes['source.raw.films'].loader).toEqual({ source: 'postgres', kind: 'postgres', from: 'public.films' })
  })

  it("source:<postgres source> follows its include/exclude: a table it does not copy is no table of it", async () => {
    const cwd = await emptyProject(`export default { models: { project: ${JSON.stringify(modelsProject)} }, sources: { postgres: { kind: 'postgres', exclude: ['users', 'ticket_*'] } } }\n`)
    const { code, stdout } = await runElt(['ls', '--json', 'source:postgres'], env, cwd)
    expect(code).toBe(0)
    expect(JSON.parse(stdout).nodes.map((n: { id: string }) => n.id)).toEqual(['source.raw.actors', 'source.raw.film_actors', 'source.raw.film_category', 'source.raw.films'])
  })

  it('prints a table, and the dev target schema', async () => {
    const { code, stdout } = await runElt(['ls', '--target', 'dev', 'user_directory'], { ...env, USER: 'alice' }, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    expect(stdout).toMatch(/^id +materialized +relation +tags\nmodel\.user_directory +incremental +analytics_alice\.user_directory +marts,incremental\n$/)
  })

  it('names a missing project module clearly (exit 2)', async () => {
    const { code, stderr } = await runElt(['ls'], env, await emptyProject(`export default { models: { project: 'nowhere/index.ts' } }\n`))
    expect(code).toBe(2)
    expect(stderr).toMatch(/Could not load the models project .*nowhere\/index\.ts/)
  })
})
