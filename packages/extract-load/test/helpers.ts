import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import { runningPostmaster, sleep, startEmbeddedServer, type EmbeddedServer, type EmbeddedServerOptions } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { replicate, type ReplicationEvent, type ReplicationOptions, type ReplicationSummary } from '../src/index.ts'

export interface Pair {
  source: TestDatabase
  destination: TestDatabase
  drop(): Promise<void>
}

/** A fresh source and destination database on the test server. */
export async function createPair(adminUrl: string, prefix: string): Promise<Pair> {
  const [source, destination] = await Promise.all([createTestDatabase(adminUrl, `${prefix}_src`), createTestDatabase(adminUrl, `${prefix}_dst`)])
  return { source, destination, drop: async () => void (await Promise.all([source.drop(), destination.drop()])) }
}

export async function runSqlFile(db: TestDatabase, file: URL): Promise<void> {
  await db.query(await readFile(file, 'utf8'))
}

/** `replicate()` between the pair with test-friendly defaults; collects the events. */
export async function replicatePair(
  pair: Pair,
  options: Partial<ReplicationOptions> = {},
): Promise<{ summary: ReplicationSummary; events: ReplicationEvent[] }> {
  const events: ReplicationEvent[] = []
  const summary = await replicate({
    source: { label: 'source', url: pair.source.url },
    destination: { label: 'destination', url: pair.destination.url },
    jobs: 2,
    retry: { maxRetries: 2, delaySeconds: 0.1 },
    connectWaitSeconds: 5,
    ...options,
    onEvent: (e) => {
      events.push(e)
      options.onEvent?.(e)
    },
  })
  return { summary, events }
}

/** Runs a query with `search_path` = `schema`, so catalog functions name same-schema objects unqualified. */
export async function queryIn<R extends pg.QueryResultRow>(db: TestDatabase, schema: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    await client.query(`select set_config('search_path', quote_ident($1), false)`, [schema])
    await client.query(`SET extra_float_digits = 3; SET timezone = 'UTC'; SET datestyle = 'ISO, YMD'; SET lc_monetary = 'C'`)
    return (await client.query<R>(sql, params)).rows
  } finally {
    await client.end()
  }
}

/** Every row of a table as text, sorted: `select t::text from "schema"."table" t order by 1`. */
export async function tableRows(db: TestDatabase, schema: string, table: string): Promise<string[]> {
  const q = `"${schema.replace(/"/g, '""')}"."${table.replace(/"/g, '""')}"`
  const rows = await queryIn<{ row: string }>(db, schema, `select t::text as row from ${q} t order by 1`)
  return rows.map((r) => r.row)
}

/** Columns, constraints, non-partition indexes, sequences and user types of a schema, as comparable text. */
export async function catalogOf(db: TestDatabase, schema: string): Promise<Record<string, unknown[]>> {
  const q = <R extends pg.QueryResultRow>(sql: string) => queryIn<R>(db, schema, sql, [schema])
  return {
    columns: await q(`select c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull, a.attidentity, a.attgenerated,
                             pg_get_expr(d.adbin, d.adrelid) as default_expr
                        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                       where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped order by 1, 2`),
    constraints: await q(`select c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid) as def, con.convalidated
                            from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
                           where n.nspname = $1 and not c.relispartition order by 1, 2`),
    indexes: await q(`select c.relname, ic.relname as index, pg_get_indexdef(i.indexrelid, 0, true) as def
                        from pg_index i join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
                        join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and not c.relispartition order by 1, 2`),
    partitions: await q(`select c.relname, pc.relname as parent, pg_get_expr(c.relpartbound, c.oid) as bound,
                                (select count(*)::int from pg_index i where i.indrelid = c.oid) as index_count
                           from pg_inherits h join pg_class c on c.oid = h.inhrelid join pg_class pc on pc.oid = h.inhparent
                           join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 order by 1`),
    sequences: await q(`select sequencename, data_type::text, start_value::text, increment_by::text, last_value::text
                          from pg_sequences where schemaname = $1 order by 1`),
    types: await q(`select t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod) as base, t.typnotnull,
                           (select array_agg(enumlabel::text order by enumsortorder) from pg_enum where enumtypid = t.oid) as labels,
                           (select array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum) from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0) as attributes,
                           (select array_agg(pg_get_constraintdef(con.oid)) from pg_constraint con where con.contypid = t.oid) as checks
                      from pg_type t join pg_namespace n on n.oid = t.typnamespace
                     where n.nspname = $1 and t.typtype in ('e', 'd', 'r') or (n.nspname = $1 and t.typtype = 'c' and exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind = 'c'))
                     order by 1`),
  }
}

export async function tablesOf(db: TestDatabase, schema: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
    [schema],
  )
  return rows.map((r) => r.name)
}

/**
 * Terminates the sessions of `db` whose `application_name` is `application` (those of a run: `elt-replicate-copy`,
 * `elt-replicate-load`, …) and, with `statement`, whose current or last statement starts with it; resolves with how many.
 */
export async function terminateSessions(db: TestDatabase, application: string, statement?: string): Promise<number> {
  const rows = await db.query<{ ok: boolean }>(
    `select pg_terminate_backend(pid) as ok from pg_stat_activity
      where datname = current_database() and application_name like $1 and ($2::text is null or query ilike $2 || '%')`,
    [application, statement ?? null],
  )
  return rows.filter((r) => r.ok).length
}

/**
 * A destination trigger that drops odd ids, added to each new table with a `skip_odd` column (as
 * the writer's shadow table is): the destination's COPY then reports fewer rows than were sent.
 */
export async function dropOddRowsOnLoad(db: TestDatabase): Promise<void> {
  await db.query(`
    create function public.skip_odd() returns trigger language plpgsql as $$
      begin if new.id % 2 = 1 then return null; end if; return new; end $$;
    create function public.add_skip_odd() returns event_trigger language plpgsql as $$
      declare r record;
      begin
        for r in select * from pg_event_trigger_ddl_commands() where command_tag = 'CREATE TABLE' loop
          if exists (select 1 from pg_attribute where attrelid = r.objid and attname = 'skip_odd') then
            execute format('create trigger skip_odd before insert on %s for each row execute function public.skip_odd()', r.object_identity);
          end if;
        end loop;
      end $$;
    create event trigger add_skip_odd on ddl_command_end when tag in ('CREATE TABLE') execute function public.add_skip_odd();`)
}

/** Fast shutdown (as a service manager's restart does), then a start on the same port and data: the server to use from then on. */
export async function restartEmbeddedServer(server: EmbeddedServer, options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const running = await runningPostmaster(server.dataDir)
  if (!running) throw new Error('the server is not running')
  process.kill(running.pid, 'SIGINT')
  for (let i = 0; i < 300 && (await runningPostmaster(server.dataDir)); i++) await sleep(100)
  return startEmbeddedServer({ ...options, port: server.port })
}
