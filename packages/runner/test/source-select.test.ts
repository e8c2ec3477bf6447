import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import manifestSchema from '../schemas/manifest.schema.json' with { type: 'json' }
import {
  buildGraph,
  buildManifest,
  collectProject,
  compileProject,
  compileProjectTests,
  defineModel,
  defineSource,
  planProject,
  selectNodes,
  selectTests,
  sourceLoaders,
  type SelectOptions,
} from '../src/index.ts'
import { filmActors, stgFilms } from './fixtures.ts'

/** Sources of three kinds of origin: the postgres source (raw, raw_sales), a CSV file, and a schema no configured source loads. */
const ticketSales = defineSource<{ sale_id: number; film_id: number; tickets: number }>({ schema: 'raw', name: 'ticket_sales' })
const orders = defineSource<{ order_id: number }>({ schema: 'raw_sales', name: 'orders' })
const countries = defineSource<{ code: string }>({ schema: 'seed', name: 'countries' })
const stgTicketSales = defineModel({ name: 'stg_ticket_sales', from: { ticketSales }, query: (db) => db.selectFrom('ticketSales').select(['sale_id', 'film_id', 'tickets']) })
const filmSales = defineModel({
  name: 'film_sales',
  materialized: 'table',
  from: { sales: stgTicketSales, films: stgFilms },
  query: (db) => db.selectFrom('films').leftJoin('sales', 'sales.film_id', 'films.film_id').select(['films.film_id', 'sales.tickets']),
  columns: { film_id: { tests: ['unique'] } },
})
const stgOrders = defineModel({
  name: 'stg_orders',
  from: { orders },
  query: (db) => db.selectFrom('orders').select('order_id'),
  columns: { order_id: { tests: ['not_null'] } },
})
const stgCountries = defineModel({ name: 'stg_countries', from: { countries }, query: (db) => db.selectFrom('countries').select('code') })
const project = () => collectProject({ filmActors, filmSales, stgOrders, stgCountries })

const loaders = sourceLoaders([
  { name: 'postgres', kind: 'postgres', schemas: [{ from: 'public', to: 'raw' }, { from: 'sales', to: 'raw_sales' }] },
  { name: 'ticket_sales', kind: 'csv', targetSchema: 'raw', table: 'ticket_sales', from: 'source_db_init/ticket_sales.csv' },
])
const select = (selectors: string[], options: Omit<SelectOptions, 'select'> = {}) => selectNodes(buildGraph(project()), { select: selectors, sources: loaders, ...options })

describe('sourceLoaders', () => {
  it('maps each destination table to the configured source loading it: a CSV its table, postgres every other table of its schemas', () => {
    expect(loaders.loaderOf('raw', 'films')).toEqual({ source: 'postgres', kind: 'postgres', from: 'public.films' })
    expect(loaders.loaderOf('raw_sales', 'orders')).toEqual({ source: 'postgres', kind: 'postgres', from: 'sales.orders' })
    expect(loaders.loaderOf('raw', 'ticket_sales')).toEqual({ source: 'ticket_sales', kind: 'csv', from: 'source_db_init/ticket_sales.csv' })
    expect(loaders.loaderOf('seed', 'countries')).toBeUndefined()
    expect(loaders.loaderOf('analytics', 'films')).toBeUndefined()
    expect(loaders.names).toEqual(['postgres', 'ticket_sales'])
  })

  it("a database source's include/exclude (its `copies`) leaves tables to no source", () => {
    const some = sourceLoaders([{ name: 'postgres', kind: 'postgres', schemas: [{ from: 'public', to: 'raw' }], copies: (_schema, table) => table !== 'film_actors' }])
    expect(some.loaderOf('raw', 'films')).toEqual({ source: 'postgres', kind: 'postgres', from: 'public.films' })
    expect(some.loaderOf('raw', 'film_actors')).toBeUndefined()
    // (raw.ticket_sales is postgres' too here: no CSV source claims it)
    expect(selectNodes(buildGraph(project()), { select: ['source:postgres'], sources: some })).toEqual(['source.raw.films', 'source.raw.ticket_sales'])
  })
})

describe('source: with configured sources', () => {
  it('source:<name> selects every table that source loads; + adds what is downstream', () => {
    expect(select(['source:ticket_sales'])).toEqual(['source.raw.ticket_sales'])
    expect(select(['source:ticket_sales+'])).toEqual(['source.raw.ticket_sales', 'model.stg_ticket_sales', 'model.film_sales'])
    expect(select(['source:postgres'])).toEqual(['source.raw.film_actors', 'source.raw.films', 'source.raw_sales.orders'])
  })

  it('source:<name>.<table> matches the destination table name or where it comes from', () => {
    expect(select(['source:postgres.films'])).toEqual(['source.raw.films'])
    expect(select(['source:postgres.public.films'])).toEqual(['source.raw.films'])
    expect(select(['source:postgres.orders+'])).toEqual(['source.raw_sales.orders', 'model.stg_orders'])
    expect(select(['source:postgres.sales.*'])).toEqual(['source.raw_sales.orders'])
    expect(select(['source:ticket_sales.ticket_sales'])).toEqual(['source.raw.ticket_sales'])
    expect(select(['source:ticket_sales.*.csv'])).toEqual(['source.raw.ticket_sales'])
    // the CSV source does not load raw.films
    expect(() => select(['source:ticket_sales.films'])).toThrow(/The selector "source:ticket_sales.films" matches no node/)
  })

  it('a schema that names no configured source keeps its meaning: source:raw, source:raw.films, source:seed', () => {
    expect(select(['source:raw.films+'])).toEqual(['source.raw.films', 'model.stg_films', 'model.film_sales'])
    expect(select(['source:raw'])).toEqual(['source.raw.film_actors', 'source.raw.films', 'source.raw.ticket_sales'])
    expect(select(['source:seed'])).toEqual(['source.seed.countries'])
    // a wildcard reads both ways: every configured source's tables and every schema's
    expect(select(['source:*'])).toHaveLength(5)
    expect(selectNodes(buildGraph(project()), { exclude: ['source:*'], sources: loaders })).not.toContain('source.seed.countries')
  })

  it('a configured source named like a schema wins (documented): source:raw is then the source, not the schema', () => {
    const shadowing = sourceLoaders([
      { name: 'postgres', kind: 'postgres', schemas: [{ from: 'public', to: 'raw' }] },
      { name: 'raw', kind: 'csv', targetSchema: 'raw', table: 'ticket_sales', from: 'sales.csv' },
    ])
    expect(select(['source:raw'], { sources: shadowing })).toEqual(['source.raw.ticket_sales'])
    expect(() => select(['source:raw.films'], { sources: shadowing })).toThrow(/matches no node/)
    expect(select(['source:postgres.films'], { sources: shadowing })).toEqual(['source.raw.films'])
  })

  it('without configured sources, source: reads destination schemas only', () => {
    expect(() => selectNodes(buildGraph(project()), { select: ['source:ticket_sales'] })).toThrow(/matches no node/)
    expect(selectNodes(buildGraph(project()), { select: ['source:raw.ticket_sales'] })).toEqual(['source.raw.ticket_sales'])
  })

  it('test selection knows the sources too: source:ticket_sales+ runs the tests downstream of the CSV', () => {
    const plan = planProject(project(), { name: 'prod', schema: 'analytics' }, { sources: loaders })
    const tests = compileProjectTests(plan)
    expect(tests.map((t) => t.id).sort()).toEqual(['not_null_stg_orders_order_id', 'unique_film_sales_film_id'])
    expect(selectTests(plan.graph, tests, { select: ['source:ticket_sales+'], sources: loaders }).map((t) => t.id)).toEqual(['unique_film_sales_film_id'])
    expect(selectTests(plan.graph, tests, { select: ['source:postgres.orders+'], sources: loaders }).map((t) => t.id)).toEqual(['not_null_stg_orders_order_id'])
  })
})

describe('manifest', () => {
  it('each source node names its loader (source, kind, from); the manifest validates against its JSON Schema', () => {
    const plan = planProject(project(), { name: 'prod', schema: 'analytics' }, { sources: loaders })
    const manifest = buildManifest(plan.project, plan.graph, compileProject(plan.project, plan.graph, plan.target), plan.target, [], plan.sources)
    expect(manifest.nodes['source.raw.ticket_sales']!.loader).toEqual({ source: 'ticket_sales', kind: 'csv', from: 'source_db_init/ticket_sales.csv' })
    expect(manifest.nodes['source.raw.films']!.loader).toEqual({ source: 'postgres', kind: 'postgres', from: 'public.films' })
    expect(manifest.nodes['source.seed.countries']!.loader).toBeUndefined()
    expect(manifest.nodes['model.film_sales']!.loader).toBeUndefined()
    const ajv = new Ajv({ allErrors: true, validateFormats: false })
    expect(ajv.validate(manifestSchema, JSON.parse(JSON.stringify(manifest))), JSON.stringify(ajv.errors)).toBe(true)
    // the schema checks the loader's fields
    const bad = structuredClone(manifest)
    ;(bad.nodes['source.raw.ticket_sales']!.loader as unknown as Record<string, unknown>).file = 'x.csv'
    expect(ajv.validate(manifestSchema, bad)).toBe(false)
    expect(ajv.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'file' } }))
  })
})
