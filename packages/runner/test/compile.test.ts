import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { describeError } from '@elt/core'
import { buildGraph, collectProject, compileProject, defineModel, planProject } from '../src/index.ts'
import { films, project, stgFilms } from './fixtures.ts'

const prod = { name: 'prod', schema: 'analytics' }

describe('compile', () => {
  it('rewrites declared tables to their relations, aliased back to the key', () => {
    const compiled = compileProject(project(), buildGraph(project()), prod)
    expect(compiled.get('model.stg_films')?.sql).toBe('select "film_id", "title", "user_rating" from "raw"."films" as "films"')
  })

  it('inlines values as literals and ephemeral models as CTEs', () => {
    const compiled = compileProject(project(), buildGraph(project()), prod)
    expect(compiled.get('model.top_films')?.sql).toBe(
      'select "s"."film_id", "s"."title", "s"."actors" from "analytics"."film_summary" as "s" inner join "analytics"."stg_films" as "f" on "f"."film_id" = "s"."film_id" where "f"."user_rating" >= \'4.0\'',
    )
    expect(compiled.get('model.film_summary')?.sql).toBe(
      'with "__ephemeral_cast_size" as (select "film_id", count(*) as "n" from "analytics"."stg_film_actors" as "fa" group by "film_id") ' +
        'select "films"."film_id", "films"."title", coalesce("cast"."n", 0) as "actors" from "analytics"."stg_films" as "films" left join "__ephemeral_cast_size" as "cast" on "cast"."film_id" = "films"."film_id"',
    )
  })

  it('escapes string literals', () => {
    const quoted = defineModel({
      name: 'quoted',
      from: { films },
      query: (db) => db.selectFrom('films').select('title').where('title', '=', "it's; drop table x --"),
    })
    const p = collectProject({ quoted })
    expect(compileProject(p, buildGraph(p), prod).get('model.quoted')?.sql).toBe(
      `select "title" from "raw"."films" as "films" where "title" = 'it''s; drop table x --'`,
    )
  })

  it('compiles to the dev schema for the dev target', () => {
    const plan = planProject(project(), { name: 'dev', schema: 'analytics_alice' })
    expect(plan.compiled.get('model.top_films')?.sql).toContain('from "analytics_alice"."film_summary" as "s"')
    expect(plan.compiled.get('model.stg_films')?.sql).toContain('"raw"."films"')
  })

  it('rejects a query reading a table it did not declare, naming both', () => {
    const sneaky = defineModel({
      name: 'sneaky',
      from: { films: stgFilms },
      query: (db) => db.selectFrom('films').innerJoin('users' as any, 'users.id' as any, 'films.film_id').select('films.title'),
    })
    const p = collectProject({ sneaky })
    const error = (() => {
      try {
        compileProject(p, buildGraph(p), prod)
      } catch (e) {
        return e
      }
    })()
    expect(describeError(error)).toContain('Model sneaky reads the table "users", which it did not declare in `from` (it declares: films)')
  })

  it('rejects a schema-qualified table even when its name is declared', () => {
    const direct = defineModel({ name: 'direct', from: { films }, query: (db) => db.selectFrom('raw.films' as any).selectAll() })
    const p = collectProject({ direct })
    expect(() => compileProject(p, buildGraph(p), prod)).toThrow(/reads the table "raw.films", which it did not declare/)
  })

  it("allows the query's own CTEs", () => {
    const withCte = defineModel({
      name: 'with_cte',
      from: { films },
      query: (db) => db.with('rated', (qc) => qc.selectFrom('films').select('film_id').where('user_rating', 'is not', null)).selectFrom('rated').select('film_id'),
    })
    const p = collectProject({ withCte })
    expect(compileProject(p, buildGraph(p), prod).get('model.with_cte')?.sql).toBe(
      'with "rated" as (select "film_id" from "raw"."films" as "films" where "user_rating" is not null) select "film_id" from "rated"',
    )
  })

  it('refuses a target schema that holds sources (models never write into raw)', () => {
    expect(() => planProject(project(), { name: 'prod', schema: 'raw' })).toThrow(/holds raw source tables/)
    expect(() => planProject(project(), { name: 'prod', schema: '_elt' })).toThrow(/holds the tool's own state/)
  })

  it('rejects a query that throws or returns no builder', () => {
    const broken = defineModel({ name: 'broken', from: { films }, query: () => ({}) as any })
    const raw = defineModel({ name: 'raw_sql', from: { films }, query: () => sql`select 1` as any })
    const throwing = defineModel({ name: 'throwing', from: { films }, query: () => { throw new Error('boom') } })
    const compile = (m: unknown) => () => {
      const p = collectProject({ m })
      compileProject(p, buildGraph(p), prod)
    }
    expect(compile(broken)).toThrow(/broken's query did not return a Kysely query builder/)
    expect(compile(raw)).toThrow(/raw_sql's query is a RawNode, not a select/)
    expect(compile(throwing)).toThrow(/throwing's query threw while being built: boom/)
  })
})
