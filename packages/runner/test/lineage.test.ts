import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { buildGraph, computeLineage, planProject, selectTests, type ColumnDependency, type CompiledTest } from '../src/index.ts'
import { build } from './db-helpers.ts'
import { lineageProject, lineageRawColumns, lineageRawDdl } from './fixtures/lineage-project.ts'

const project = lineageProject()
const lineage = computeLineage(project, buildGraph(project), (schema, name) => (schema === 'raw' ? lineageRawColumns[name] : undefined))
const columnsOf = (model: string) => Object.fromEntries(lineage.models.get(`model.${model}`)!.columns)
const direct = (node: string, column: string): ColumnDependency => ({ node, column, kind: 'direct' })
const derived = (node: string, column: string, via?: 'aggregate' | 'window' | 'condition'): ColumnDependency => ({ node, column, kind: 'derived', ...(via ? { via } : {}) })
const filter = (node: string, column: string, clause: string) => ({ node, column, kind: 'filter', clause })

describe('column lineage, edge by edge', () => {
  it('select * from a source expands to codegen columns, each direct', () => {
    expect(columnsOf('stg_films')).toEqual({
      film_id: [direct('source.raw.films', 'film_id')],
      title: [direct('source.raw.films', 'title')],
      price: [direct('source.raw.films', 'price')],
      rating: [direct('source.raw.films', 'rating')],
      user_rating: [direct('source.raw.films', 'user_rating')],
    })
  })

  it('unqualified references resolve to the input holding the column; WHERE columns are filters', () => {
    expect(columnsOf('stg_actors')).toEqual({ actor_id: [direct('source.raw.actors', 'actor_id')], actor_name: [direct('source.raw.actors', 'actor_name')] })
    expect(lineage.models.get('model.stg_actors')!.filters).toEqual([filter('source.raw.actors', 'actor_name', 'where')])
  })

  it('an ephemeral model: join ON, GROUP BY and HAVING are filters; aggregates and sql with refs are derived', () => {
    expect(columnsOf('cast_stats')).toEqual({
      film_id: [direct('source.raw.film_actors', 'film_id')],
      n: [derived('model.stg_actors', 'actor_id', 'aggregate')],
      names: [derived('model.stg_actors', 'actor_name')],
    })
    expect(lineage.models.get('model.cast_stats')!.filters).toEqual([
      filter('model.stg_actors', 'actor_id', 'join'),
      filter('source.raw.film_actors', 'actor_id', 'join'),
      filter('source.raw.film_actors', 'film_id', 'group_by'),
      filter('model.stg_actors', 'actor_id', 'having'),
    ])
  })

  it('aliases, casts, CASE, coalesce, windows, CTEs, subqueries and raw sql, each column', () => {
    const s = 'model.stg_films'
    expect(columnsOf('film_facts')).toEqual({
      film_id: [direct(s, 'film_id')],
      name: [direct(s, 'title')], // renamed
      price_text: [direct(s, 'price')], // cast
      grade: [derived(s, 'user_rating', 'condition'), derived(s, 'rating')], // CASE: the WHEN's column and the ELSE's
      actor_count: [derived('model.cast_stats', 'n')], // coalesce(c.n, 0) through the ephemeral model
      names: [direct('model.cast_stats', 'names')],
      rank_in_rating: [derived(s, 'rating'), derived(s, 'user_rating')], // sql`rank() over (…)` with refs
      avg_price_in_rating: [derived(s, 'price', 'aggregate'), derived(s, 'rating', 'window')], // avg(…) over (partition by …)
      shout: [derived(s, 'title')], // sql`upper(${sql.ref(…)})`
      loaded_at: [{ node: 'model.film_facts', column: null, kind: 'opaque', sql: 'now()' }], // sql without refs: never guessed
      title_ref: [direct(s, 'title')], // sql`${sql.ref(…)}` is the column itself
      score: [direct(s, 'user_rating')], // through the CTE, cast
      top_price: [derived(s, 'price', 'aggregate')], // through the FROM subquery's max()
      roles: [], // a scalar subquery counting rows: no column
    })
    expect(lineage.models.get('model.film_facts')!.filters).toEqual([
      filter(s, 'user_rating', 'where'), // inside the CTE
      filter(s, 'rating', 'group_by'), // inside the FROM subquery
      filter('model.cast_stats', 'film_id', 'join'),
      filter(s, 'film_id', 'join'),
      filter(s, 'rating', 'join'),
      filter('source.raw.film_actors', 'film_id', 'where'), // the scalar subquery's correlation
      filter(s, 'film_id', 'where'),
      filter(s, 'rating', 'where'),
      filter(s, 'film_id', 'order_by'),
    ])
  })

  it('select * over a model takes the columns the parent model computes', () => {
    const copy = columnsOf('film_facts_copy')
    expect(Object.keys(copy)).toEqual(Object.keys(columnsOf('film_facts')))
    expect(copy.grade).toEqual([direct('model.film_facts', 'grade')])
    expect(lineage.models.get('model.film_facts_copy')!.filters).toEqual([filter('model.film_facts', 'score', 'where')])
  })

  it('without codegen columns, select * from a source is one unknown `*` column', () => {
    const unknown = computeLineage(project, buildGraph(project))
    expect(Object.fromEntries(unknown.models.get('model.stg_films')!.columns)).toEqual({ '*': [direct('source.raw.films', '*')] })
  })
})

describe('column: selector', () => {
  const select = (selector: string) =>
    planProject(project, { name: 'prod', schema: 'analytics' }, { select: [selector], sourceColumns: (schema, name) => (schema === 'raw' ? lineageRawColumns[name] : undefined) }).selected

  it('column:<col>+ adds the models a change to it affects: computed from it, or everything below a model it filters', () => {
    // title: stg_films.title → film_facts.name, shout, title_ref → film_facts_copy (select *)
    expect(select('column:raw.films.title+')).toEqual(['source.raw.films', 'model.stg_films', 'model.film_facts', 'model.film_facts_copy'])
    // actor_name filters stg_actors (WHERE): every node below stg_actors, cast_stats included
    expect(select('column:raw.actors.actor_name+')).toEqual(['source.raw.actors', 'model.stg_actors', 'model.cast_stats', 'model.film_facts', 'model.film_facts_copy'])
    // one hop: only the models reading it directly
    expect(select('column:raw.films.title+1')).toEqual(['source.raw.films', 'model.stg_films'])
  })

  it('without +, the node holding the column; +column: adds where its value comes from', () => {
    expect(select('column:film_facts.grade')).toEqual(['model.film_facts'])
    expect(select('+column:film_facts_copy.actor_count')).toEqual(['source.raw.actors', 'model.stg_actors', 'model.cast_stats', 'model.film_facts', 'model.film_facts_copy'])
  })

  it('selects data tests too: those of the affected models', () => {
    const plan = planProject(project, { name: 'prod', schema: 'analytics' }, { sourceColumns: (schema, name) => (schema === 'raw' ? lineageRawColumns[name] : undefined) })
    const test = (id: string, nodeId: string) => ({ id, type: 'not_null', nodeId, tags: [], parents: [nodeId] }) as unknown as CompiledTest
    const tests = [test('not_null_stg_actors_actor_id', 'model.stg_actors'), test('not_null_film_facts_name', 'model.film_facts'), test('not_null_stg_films_title', 'model.stg_films')]
    const chosen = selectTests(plan.graph, tests, { select: ['column:raw.films.title+'], lineage: plan.lineage })
    expect(chosen.map((t) => t.id)).toEqual(['not_null_film_facts_name', 'not_null_stg_films_title'])
  })

  it('an unknown column is a usage error naming the node\'s columns', () => {
    expect(() => select('column:stg_films.nope+')).toThrow('model.stg_films has no column "nope".')
  })
})

describe('the fixture is real SQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'), 'lineage')
    await db.query(lineageRawDdl)
  })
  afterAll(() => db.drop())

  it('builds on PostgreSQL with exactly the columns lineage names, in order', async () => {
    const outcome = await build(db, project)
    expect(outcome.status).toBe('success')
    const rows = await db.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = 'analytics' and table_name = 'film_facts' order by ordinal_position`,
    )
    expect(rows.map((r) => r.column_name)).toEqual(Object.keys(columnsOf('film_facts')))
    const facts = await db.query<{ name: string; grade: string; actor_count: string }>(`select name, grade, actor_count::text from analytics.film_facts order by film_id`)
    expect(facts).toEqual([
      { name: 'Alien', grade: 'Excellent', actor_count: '2' },
      { name: 'Heat', grade: 'R', actor_count: '0' },
      { name: 'Up', grade: 'PG', actor_count: '1' },
    ])
  })
})
