import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { emptyProject, runElt } from './replicate-helpers.ts'

const modelsProject = fileURLToPath(new URL('../../../packages/models/src/index.ts', import.meta.url))
const modelsConfig = `export default { models: { project: ${JSON.stringify(modelsProject)} }, sources: { postgres: { kind: 'postgres', schemas: ['public'] } } }\n`

// No database: lineage, ls and diff only read the project (and a saved manifest).
const env = { SOURCE_DATABASE_URL: 'postgres://u@127.0.0.1:1/none', DESTINATION_DATABASE_URL: 'postgres://u@127.0.0.1:1/none' }

describe('elt lineage', () => {
  it('prints a column\'s upstream tree back to the raw column and where it is loaded from', async () => {
    const { code, stdout } = await runElt(['lineage', 'film_ratings.avg_actor_rating'], env, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    expect(stdout).toBe(
      [
        'film_ratings.avg_actor_rating',
        '└─ ← int_actor_ratings.avg_user_rating (derived)',
        '   └─ ← stg_films.user_rating (derived, aggregate)',
        '      └─ ← raw.films.user_rating (direct)  ⇐ postgres (postgres): public.films.user_rating',
        '',
      ].join('\n'),
    )
  })

  it('--downstream --json gives the impact tree', async () => {
    const { code, stdout } = await runElt(['lineage', 'raw.films.user_rating', '--downstream', '--json'], env, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    const { column, direction, tree } = JSON.parse(stdout)
    expect(column).toEqual({ node: 'source.raw.films', column: 'user_rating' })
    expect(direction).toBe('down')
    expect(tree.children).toEqual([expect.objectContaining({ node: 'model.stg_films', column: 'user_rating', kind: 'direct' })])
    const uses = tree.children[0].children.map((c: { node: string; column: string; kind: string }) => `${c.node}.${c.column} ${c.kind}`)
    expect(uses).toContain('model.film_ratings.rating_category derived')
    expect(uses).toContain('model.int_actor_ratings.avg_user_rating derived')
  })

  it('--format openlineage prints one run event per built model on the column\'s path', async () => {
    const { code, stdout } = await runElt(['lineage', 'film_ratings.title', '--format', 'openlineage'], env, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line))
    expect(events.map((e: { job: { name: string } }) => e.job.name).sort()).toEqual(['film_ratings', 'film_sales', 'stg_films'])
    const ratings = events.find((e: { job: { name: string } }) => e.job.name === 'film_ratings')
    expect(ratings.outputs[0].facets.columnLineage.fields.title.inputFields).toEqual([
      { namespace: 'elt', name: 'analytics.stg_films', field: 'title', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY', masking: false }] },
    ])
  })

  it('a column the model lacks, or no column at all, is a usage error', async () => {
    const cwd = await emptyProject(modelsConfig)
    const missing = await runElt(['lineage', 'film_ratings.nope'], env, cwd)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('model.film_ratings has no column "nope".')
    const none = await runElt(['lineage'], env, cwd)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('lineage needs <model>.<column>')
  })
})

describe('column: selector', () => {
  it('selects every model a change to the column affects, and only those', async () => {
    const { code, stdout } = await runElt(['ls', '--json', '--select', 'column:raw.films.title+'], env, await emptyProject(modelsConfig))
    expect(code).toBe(0)
    // film_ratings passes title through to film_sales; actor_filmography, category_stats and int_actor_ratings do not read it
    expect(JSON.parse(stdout).nodes.map((n: { id: string }) => n.id)).toEqual(['source.raw.films', 'model.stg_films', 'model.film_ratings', 'model.film_sales'])
    const rating = await runElt(['ls', '--json', '--select', 'column:raw.films.user_rating+'], env, await emptyProject(modelsConfig))
    expect(JSON.parse(rating.stdout).nodes.map((n: { id: string }) => n.id)).toEqual([
      'source.raw.films',
      'model.stg_films',
      'model.actor_filmography',
      'model.int_actor_ratings',
      'model.film_ratings',
      'model.category_stats',
      'model.film_sales',
    ])
  })
})

describe('document sources', () => {
  const ccbExport = fileURLToPath(new URL('../../../source_db_init/ccb_contratos.jsonl', import.meta.url))
  const documentsConfig =
    `export default { models: { project: ${JSON.stringify(modelsProject)} }, sources: { postgres: { kind: 'postgres', schemas: ['public'] }, ` +
    `ccb: { kind: 'mongodb-export', path: ${JSON.stringify(ccbExport)}, mapping: 'ccb_contracts', targetSchema: 'ccb' } } }\n`

  it("know their tables' columns from the document mapping, and where each table's rows come from", async () => {
    const cwd = await emptyProject(documentsConfig)
    const missing = await runElt(['ls', '--select', 'column:ccb.operacoes.nope+'], env, cwd)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('source.ccb.operacoes has no column "nope". Its columns: numero_ccb, cpf,')
    const { code, stdout } = await runElt(['lineage', 'ccb_carteira.contratos'], env, cwd)
    expect(code).toBe(0)
    expect(stdout).toContain('← ccb.operacoes.numero_ccb (derived, aggregate)  ⇐ ccb (mongodb-export): ccb_contracts.operacoes.numero_ccb')
  })
})

describe('elt diff --state', () => {
  it('lists the models whose column lineage differs from a saved manifest', async () => {
    const cwd = await emptyProject(modelsConfig)
    expect((await runElt(['compile'], env, cwd)).code).toBe(0)
    const saved = JSON.parse(await readFile(path.join(cwd, 'target', 'manifest.json'), 'utf8'))
    const same = path.join(cwd, 'same.json')
    await writeFile(same, JSON.stringify(saved))
    const unchanged = await runElt(['diff', '--state', 'same.json'], env, cwd)
    expect(unchanged).toMatchObject({ code: 0, stdout: "No model's column lineage changed since same.json.\n" })
    // the saved state as it was before: rating_category read rating too, actors did not exist, stg_films had no filter
    const ratings = saved.nodes['model.film_ratings']
    ratings.columns.rating_category.depends_on.push({ node: 'model.stg_films', column: 'rating', kind: 'derived' })
    delete ratings.columns.actors
    saved.nodes['model.stg_films'].depends_on_columns = [{ node: 'source.raw.films', column: 'rating', kind: 'filter', clause: 'where' }]
    await writeFile(path.join(cwd, 'prod.json'), JSON.stringify(saved))
    const { code, stdout } = await runElt(['diff', '--state', 'prod.json'], env, cwd)
    expect(code).toBe(0)
    expect(stdout).toBe(
      [
        '2 model(s) with changed column lineage:',
        '~ film_ratings',
        '    ~ rating_category: -stg_films.rating derived',
        '    + actors',
        '~ stg_films',
        '    - filter raw.films.rating filter (where)',
        '',
      ].join('\n'),
    )
    const json = JSON.parse((await runElt(['diff', '--json', '--state', 'prod.json'], env, cwd)).stdout)
    expect(json.models.map((m: { node: string }) => m.node)).toEqual(['model.film_ratings', 'model.stg_films'])
  })

  it('refuses a missing file and a manifest older than column lineage', async () => {
    const cwd = await emptyProject(modelsConfig)
    const missing = await runElt(['diff', '--state', 'nowhere.json'], env, cwd)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('Cannot read the saved manifest nowhere.json: no such file.')
    await writeFile(path.join(cwd, 'old.json'), JSON.stringify({ schema_version: 1, nodes: {} }))
    const old = await runElt(['diff', '--state', 'old.json'], env, cwd)
    expect(old.code).toBe(2)
    expect(old.stderr).toContain('old.json has manifest schema_version 1, older than column lineage (2).')
  })
})
