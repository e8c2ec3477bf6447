import { EltError, ExitCode } from '@elt/core'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/index.ts'

const file = '/project/elt.config.ts'

/** The error `parseConfig` throws for `value`: its exit code and its lines. */
function problems(value: unknown): { exitCode: number; lines: string[] } {
  try {
    parseConfig(value, { dir: '/project', file })
  } catch (error) {
    if (!(error instanceof EltError)) throw error
    return { exitCode: error.exitCode, lines: error.message.split('\n') }
  }
  throw new Error('expected the config to be rejected')
}

describe('parseConfig', () => {
  it.each([
    [{ replicate: { jobs: 'four' } }, 'replicate.jobs: expected a whole number ≥ 1, got "four"'],
    [{ replicate: { jobs: 0 } }, 'replicate.jobs: expected a whole number ≥ 1, got 0'],
    [{ replicate: { jobs: 2.5 } }, 'replicate.jobs: expected a whole number ≥ 1, got 2.5'],
    [{ replicate: { include: 'films' } }, 'replicate.include: expected a list of table patterns such as ["films", "public.film_*"], got "films"'],
    [{ replicate: { exclude: ['films', 7] } }, 'replicate.exclude[1]: expected a table pattern such as "films", "public.film_*" or "sales.*", got 7'],
    [{ replicate: { targetSchema: 42 } }, 'replicate.targetSchema: expected a schema name (text of 1 to 63 bytes), got 42'],
    [{ replicate: { targetSchema: 'x'.repeat(64) } }, `replicate.targetSchema: expected a schema name (text of 1 to 63 bytes), got "${'x'.repeat(64)}"`],
    [{ replicate: { schemas: [] } }, 'replicate.schemas: expected a list of at least one schema name such as ["public"], got []'],
    [{ models: { project: 3 } }, 'models.project: expected a path to the module exporting the models, got 3'],
    [{ targets: { prod: {} } }, 'targets.prod.schema: expected a schema name (text of 1 to 63 bytes; {user} is replaced by the OS user name), got nothing'],
    [{ targets: ['analytics'] }, 'targets: expected a map of target names to targets such as { prod: { schema: "analytics" } }, got ["analytics"]'],
    [{ defaultTarget: 'staging' }, 'defaultTarget: expected one of the targets (prod, dev), got "staging"'],
    [{ replicate: true }, 'replicate: expected the replication settings { schemas, include, exclude, targetSchema, jobs, tables }, got true'],
    [42, 'the config: expected a config object such as { replicate: { … }, targets: { … } }, got 42'],
    [null, 'the config: expected a config object such as { replicate: { … }, targets: { … } }, got null'],
  ])('rejects %j with exit 2, naming the field, the value and what is expected', (value, line) => {
    expect(problems(value)).toEqual({
      exitCode: ExitCode.usage,
      lines: [`Invalid config in ${file}:`, `  ${line}`, 'Every key and its values are listed under Configuration in README.md.'],
    })
  })

  it('rejects unknown keys at every level, suggesting the closest known key', () => {
    const { lines } = problems({ replicat: {}, replicate: { jbos: 2 }, targets: { 'my target': { schema: 'a', grant: 'bi' } }, colour: 'blue' })
    expect(lines.slice(1, -1)).toEqual([
      '  replicate.jbos: unknown key (did you mean "jobs"?)',
      '  targets["my target"].grant: unknown key (known keys: schema)',
      '  replicat: unknown key (did you mean "replicate"?)',
      '  colour: unknown key (known keys: replicate, models, targets, defaultTarget, sources, stage, timezone, schedules, alerts, openlineage, cdc, serve)',
    ])
  })

  it('reports every problem at once', () => {
    const { lines } = problems({ replicate: { jobs: 'four', include: 'films', targetSchema: 42 }, replicat: {}, defaultTarget: 'staging' })
    expect(lines.slice(1, -1)).toEqual([
      '  replicate.include: expected a list of table patterns such as ["films", "public.film_*"], got "films"',
      '  replicate.targetSchema: expected a schema name (text of 1 to 63 bytes), got 42',
      '  replicate.jobs: expected a whole number ≥ 1, got "four"',
      '  replicat: unknown key (did you mean "replicate"?)',
      '  defaultTarget: expected one of the targets (prod, dev), got "staging"',
    ])
  })

  it('never prints a password received in a value', () => {
    const { lines } = problems({ replicate: { include: 'postgres://app:Sup3rSecret@db/src' } })
    expect(lines[1]).toContain('got "postgres://app:***@db/src"')
    expect(lines.join('\n')).not.toContain('Sup3rSecret')
  })

  it('fills in the defaults and resolves models.project against the config folder', () => {
    const serviceDefaults = { timezone: 'UTC', schedules: [], alerts: [], serve: { gracePeriodSeconds: 60 }, cdc: { warnRetainedWalBytes: 1024 ** 3 } }
    expect(parseConfig({}, { dir: '/project' })).toEqual({
      replicate: {},
      models: { project: '/project/packages/models/src/index.ts' },
      targets: { prod: { schema: 'analytics' }, dev: { schema: 'analytics_{user}' } },
      sources: { postgres: { kind: 'postgres', targetSchema: 'raw' } },
      ...serviceDefaults,
    })
    const config = parseConfig(
      { replicate: { schemas: ['public', 'sales'], include: ['films'], jobs: 3 }, models: { project: '../models/index.ts' }, targets: { ci: { schema: 'ci_{user}' } }, defaultTarget: 'ci' },
      { dir: '/project/config' },
    )
    expect(config).toEqual({
      replicate: { schemas: ['public', 'sales'], include: ['films'], jobs: 3 },
      models: { project: '/project/models/index.ts' },
      targets: { ci: { schema: 'ci_{user}' } },
      defaultTarget: 'ci',
      sources: { postgres: { kind: 'postgres', schemas: ['public', 'sales'], include: ['films'], targetSchema: 'raw' } },
      ...serviceDefaults,
    })
    expect(parseConfig({ models: { project: '/abs/models.ts' } }, { dir: '/project' }).models.project).toBe('/abs/models.ts')
  })

  it('does not share the default targets between configs', () => {
    const first = parseConfig({}, { dir: '/a' })
    first.targets.prod!.schema = 'changed'
    expect(parseConfig({}, { dir: '/b' }).targets.prod).toEqual({ schema: 'analytics' })
  })

  it.each([
    [{ sources: { x: { kind: 'mongo' } } }, 'sources.x.kind: expected a source kind: "postgres" or "csv" or "mongodb" or "mongodb-export", got "mongo"'],
    [{ sources: { x: 'csv' } }, 'sources.x: expected a source kind: "postgres" or "csv" or "mongodb" or "mongodb-export", got "csv"'],
    [{ sources: { x: { kind: 'csv', path: 'a.csv' } } }, 'sources.x.table: expected a table name such as "order_details", got nothing'],
    [{ sources: { '1bad': { kind: 'postgres' } } }, 'sources["1bad"]: expected a source name of letters, digits, "_" or "-", starting with a letter, got "1bad"'],
    [{ sources: { c: { kind: 'csv', path: 'a.csv', table: 't', columns: { a: 'integer; drop table x' } } } }, 'sources.c.columns.a: expected a PostgreSQL type such as "integer", "numeric(12,2)" or "timestamptz", got "integer; drop table x"'],
    [{ sources: { c: { kind: 'csv', path: 'a.csv', table: 't', onError: 'skip' } } }, 'sources.c.onError: expected "fail" or "quarantine", got "skip"'],
    [{ sources: { c: { kind: 'csv', path: 'a.csv', table: 't', encoding: 'cp1252' } } }, 'sources.c.encoding: expected "utf8", "latin1" or "windows-1252", got "cp1252"'],
    [{ sources: { a: { kind: 'csv', path: 'a.csv', table: 't' }, b: { kind: 'csv', path: 'b.csv', table: 't' } } }, 'sources.b.table: expected a table no other source writes (sources.a writes raw.t too), got "t"'],
    [{ sources: { a: { kind: 'postgres' } }, replicate: { schemas: ['public'] } }, 'replicate.schemas: expected nothing here once "sources" is set: put schemas on the postgres source in "sources", got ["public"]'],
    [{ sources: { m: { kind: 'mongodb', uri: 'postgres://h', database: 'd', collection: 'c', mapping: 'm' } } }, 'sources.m.uri: expected a mongodb:// or mongodb+srv:// connection string, got "postgres://h"'],
    [{ sources: { m: { kind: 'mongodb', uri: 'mongodb://h', database: 'd', mapping: 'm' } } }, 'sources.m.collection: expected a collection name such as "contratos_ccb", got nothing'],
    [{ sources: { m: { kind: 'mongodb', uri: 'mongodb://h', database: 'd', collection: 'c', mapping: 'm', incremental: { field: '' } } } }, 'sources.m.incremental.field: expected a date field such as "atualizado_em", got ""'],
    [{ sources: { m: { kind: 'mongodb-export', path: 'a.jsonl' } } }, 'sources.m.mapping: expected the name of a document mapping exported by the models project, such as "ccb_contracts", got nothing'],
    [{ sources: { m: { kind: 'mongodb-export', path: 'a.jsonl', mapping: 'm', maxRejectedRatio: 5 } } }, 'sources.m.maxRejectedRatio: expected a number from 0 to 1 such as 0.05, got 5'],
    [{ sources: { m: { kind: 'mongodb-export', path: 'a.jsonl', mapping: 'm', table: 't' } } }, 'sources.m.table: unknown key (known keys: kind, path, mapping, targetSchema, maxRejectedRatio)'],
    [{ stage: { dir: 'data/stage', keepDays: 0 } }, 'stage.keepDays: expected a whole number ≥ 1, got 0'],
    [{ timezone: 'Nowhere' }, 'timezone: expected an IANA time zone such as "UTC" or "America/Sao_Paulo", got "Nowhere"'],
    [{ schedules: [{ name: 'n', cron: '61 * * * *', command: 'run' }] }, 'schedules[0].cron: expected a cron expression of 5 or 6 fields such as "0 2 * * *" (minute hour day month weekday, seconds first when 6), got "61 * * * *"'],
    [{ schedules: [{ name: 'n', cron: '0 0 2 * * * 2030', command: 'run' }] }, 'schedules[0].cron: expected a cron expression of 5 or 6 fields such as "0 2 * * *" (minute hour day month weekday, seconds first when 6), got "0 0 2 * * * 2030"'],
    [{ schedules: [{ name: 'n', cron: '0 2 * * *', command: 'run', timezone: 'Mars/Base' }] }, 'schedules[0].timezone: expected an IANA time zone such as "UTC" or "America/Sao_Paulo", got "Mars/Base"'],
    [{ schedules: [{ name: 'n', cron: '0 2 * * *', command: 'load' }] }, 'schedules[0].command: expected a command that needs no stage, or a "stage" setting in the config, got "load"'],
    [{ schedules: [{ name: 'n', cron: '0 2 * * *', command: 'run' }, { name: 'n', cron: '0 3 * * *', command: 'run' }] }, 'schedules[1].name: expected a name no other schedule has, got "n"'],
    [{ alerts: [{ on: ['failure'] }] }, 'alerts[0]: expected a webhook or an email (or both), got {"on":["failure"]}'],
    [{ alerts: [{ on: ['failure'], webhook: { url: 'ftp://x' } }] }, 'alerts[0].webhook.url: expected an http(s):// URL, got "ftp://x"'],
  ])('checks sources, stage, schedules and alerts: %j', (value, line) => {
    expect(problems(value).lines).toEqual([`Invalid config in ${file}:`, `  ${line}`, 'Every key and its values are listed under Configuration in README.md.'])
  })

  it.each(['utf8', 'latin1', 'windows-1252'])('takes a CSV source encoding %s as it is', (encoding) => {
    const config = parseConfig({ sources: { c: { kind: 'csv', path: 'a.csv', table: 't', encoding } } }, { dir: '/project' })
    expect(config.sources?.c).toEqual({ kind: 'csv', path: '/project/a.csv', table: 't', targetSchema: 'raw', encoding })
  })

  it('resolves sources: target schema raw by default, CSV paths and the stage folder against the config folder', () => {
    const config = parseConfig(
      {
        sources: { pg: { kind: 'postgres', url: 'postgres://u@h/db', targetSchema: 'raw_pg' }, csv: { kind: 'csv', path: 'data/*.csv.gz', table: 'orders' } },
        stage: { dir: 'stage', keepDays: 7 },
        schedules: [{ name: 'nightly', cron: '0 2 * * *', timezone: 'America/Sao_Paulo', command: 'run', retries: 2 }],
      },
      { dir: '/project' },
    )
    expect(config.sources).toEqual({
      pg: { kind: 'postgres', url: 'postgres://u@h/db', targetSchema: 'raw_pg' },
      csv: { kind: 'csv', path: '/project/data/*.csv.gz', table: 'orders', targetSchema: 'raw' },
    })
    expect(config.stage).toEqual({ dir: '/project/stage', keepDays: 7, compression: 'none' })
    const documents = parseConfig(
      {
        sources: {
          ccb: { kind: 'mongodb-export', path: 'source_db_init/ccb_contratos.jsonl', mapping: 'ccb_contracts', targetSchema: 'ccb' },
          live: { kind: 'mongodb', uri: 'mongodb://h:27017', database: 'credito', collection: 'contratos_ccb', filter: { status: 'ativo' }, incremental: { field: 'atualizado_em' }, mapping: 'ccb_contracts', maxRejectedRatio: 0.01 },
        },
      },
      { dir: '/project' },
    )
    expect(documents.sources).toEqual({
      ccb: { kind: 'mongodb-export', path: '/project/source_db_init/ccb_contratos.jsonl', mapping: 'ccb_contracts', targetSchema: 'ccb' },
      live: { kind: 'mongodb', uri: 'mongodb://h:27017', database: 'credito', collection: 'contratos_ccb', filter: { status: 'ativo' }, incremental: { field: 'atualizado_em' }, mapping: 'ccb_contracts', maxRejectedRatio: 0.01, targetSchema: 'raw' },
    })
    expect(config.schedules).toEqual([
      { name: 'nightly', cron: '0 2 * * *', timezone: 'America/Sao_Paulo', command: 'run', retries: 2, retryDelaySeconds: 60, retryBackoff: 'fixed', catchup: false },
    ])
  })
})

describe('openlineage', () => {
  it('takes a collector URL, with namespace and timeout defaults', () => {
    const config = parseConfig({ openlineage: { url: 'http://marquez:5000/api/v1/lineage' } }, { dir: '/project', file })
    expect(config.openlineage).toEqual({ url: 'http://marquez:5000/api/v1/lineage', namespace: 'elt', timeoutSeconds: 5 })
    expect(parseConfig({}, { dir: '/project', file }).openlineage).toBeUndefined()
  })

  it.each([
    [{ openlineage: { url: 'marquez:5000' } }, 'openlineage.url: expected an http(s):// URL, got "marquez:5000"'],
    [{ openlineage: { url: 'http://m/api', timeoutSeconds: 0 } }, 'openlineage.timeoutSeconds: expected a number of seconds > 0, got 0'],
    [{ openlineage: {} }, 'openlineage.url: expected an http(s):// URL, got nothing'],
  ])('rejects %j naming the field', (value, line) => {
    expect(problems(value).lines[1]).toBe(`  ${line}`)
  })
})

describe('cdc', () => {
  it('warns past 1 GiB of retained WAL by default, or the configured size', () => {
    expect(parseConfig({}, { dir: '/project', file }).cdc).toEqual({ warnRetainedWalBytes: 1024 ** 3 })
    expect(parseConfig({ cdc: { warnRetainedWalBytes: 5e8 } }, { dir: '/project', file }).cdc).toEqual({ warnRetainedWalBytes: 5e8 })
  })

  it.each([
    [{ cdc: { warnRetainedWalBytes: 0 } }, 'cdc.warnRetainedWalBytes: expected a whole number ≥ 1, got 0'],
    [{ cdc: { warnRetainedWalBytes: '1GB' } }, 'cdc.warnRetainedWalBytes: expected a whole number ≥ 1, got "1GB"'],
  ])('rejects %j naming the field', (value, line) => {
    expect(problems(value).lines[1]).toBe(`  ${line}`)
  })
})

describe('replicate.tables', () => {
  it('takes per-table strategies on replicate and hands them to the implicit postgres source', () => {
    const tables = {
      'public.orders': { strategy: 'incremental', cursor: 'updated_at', primaryKey: ['order_id'], lookback: '10 minutes', deletes: 'compare-keys' },
      'public.events': { strategy: 'append', cursor: ['event_day', 'event_id'] },
      'public.accounts': { strategy: 'cdc' },
      'public.films': { strategy: 'full' },
    }
    const config = parseConfig({ replicate: { tables } }, { dir: '/project', file })
    expect(config.sources.postgres).toMatchObject({ kind: 'postgres', tables })
  })

  it('takes tables on a postgres source in sources', () => {
    const config = parseConfig({ sources: { shop: { kind: 'postgres', tables: { 'public.orders': { strategy: 'append', cursor: 'id', lookback: '1 hour 30 minutes' } } } } }, { dir: '/project', file })
    expect(config.sources.shop).toMatchObject({ tables: { 'public.orders': { strategy: 'append', cursor: 'id', lookback: '1 hour 30 minutes' } } })
  })

  it.each([
    [{ 'public.orders': { strategy: 'incremental' } }, 'replicate.tables["public.orders"].cursor: expected a cursor column (strategy "incremental" reads the rows whose cursor grew since the last run), got nothing'],
    [{ 'public.events': { strategy: 'append' } }, 'replicate.tables["public.events"].cursor: expected a cursor column (strategy "append" reads the rows whose cursor grew since the last run), got nothing'],
    [{ 'public.orders': { strategy: 'merge', cursor: 'id' } }, 'replicate.tables["public.orders"].strategy: expected "full", "incremental", "append" or "cdc", got "merge"'],
    [{ 'public.orders': { strategy: 'incremental', cursor: 'id', lookback: '10 minuets' } }, 'replicate.tables["public.orders"].lookback: expected a PostgreSQL interval such as "10 minutes", "1 hour" or "2 days", got "10 minuets"'],
    [{ 'public.orders': { strategy: 'incremental', cursor: 'id', lookback: "1 minute'; drop table x; --" } }, 'replicate.tables["public.orders"].lookback: expected a PostgreSQL interval such as "10 minutes", "1 hour" or "2 days", got "1 minute\'; drop table x; --"'],
    [{ 'public.orders': { strategy: 'full', cursor: 'id' } }, 'replicate.tables["public.orders"].cursor: expected nothing here with strategy "full" (only "incremental" and "append" use it), got "id"'],
    [{ 'public.orders': { strategy: 'append', cursor: 'id', deletes: 'compare-keys' } }, 'replicate.tables["public.orders"].deletes: expected "ignore" with this strategy ("compare-keys" needs strategy "incremental"), got "compare-keys"'],
    [{ 'public.orders': { strategy: 'incremental', cursor: 'id', primaryKey: [] } }, 'replicate.tables["public.orders"].primaryKey: expected a list of at least one column name such as ["order_id"], got []'],
    [{ orders: { strategy: 'full' } }, 'replicate.tables.orders: expected a source table as "schema.table", such as "public.orders", got "orders"'],
    [{ 'public.orders': { strategy: 'incremental', cursor: 'id', key: ['id'] } }, 'replicate.tables["public.orders"].key: unknown key (known keys: strategy, cursor, primaryKey, lookback, deletes)'],
  ])('rejects %j with exit 2 naming the table and the key', (tables, line) => {
    expect(problems({ replicate: { tables } }).lines.slice(1, -1)).toEqual([`  ${line}`])
  })

  it('refuses replicate.tables once sources is set', () => {
    expect(problems({ replicate: { tables: {} }, sources: { postgres: { kind: 'postgres' } } }).lines.slice(1, -1)).toEqual([
      '  replicate.tables: expected nothing here once "sources" is set: put tables on the postgres source in "sources", got {}',
    ])
  })
})
