import { readFile, stat } from 'node:fs/promises'
import { effectiveRunStatusSql, EltError, ExitCode, negotiateClientConfig } from '@elt/core'
import { latestFailureSample, listRuns, nodeHistory, runDetails, testHistory, type Manifest, type TestHistoryEntry } from '@elt/runner'
import pg from 'pg'
import type { DashboardManifest, DashboardSource, NodeRunInfo, RunDetail, RunStep, RunSummary, TestFailureDetail, TestResult } from './dashboard-source.ts'
import {
  presentTables,
  readCatalogColumns,
  readLastNodeRuns,
  readLoadedFrom,
  readLoadHistory,
  readRunCounts,
  readRunExtracts,
  readRunLoads,
} from './history-queries.ts'
import { fromRunnerManifest, recordedTest } from './runner-manifest.ts'

export interface WarehouseSourceOptions {
  /** The destination database holding `_elt` and `_elt_audit`. */
  destinationUrl: string
  /** The runner's `target/manifest.json`. */
  manifestPath: string
  /** Seconds a read manifest (with its load records and catalog types) is reused. Default 2. */
  manifestTtlSeconds?: number
  /**
   * Seconds a query (or a new connection) may take before it fails; its connection is then
   * dropped, not reused. Default 30: a connection gone silent (a cut network, a stalled proxy)
   * fails the request instead of holding one of the pool's 4 connections for ever.
   */
  queryTimeoutSeconds?: number
}

/** Id of the raw node of a replicated table (`raw.films` → `source.raw.films`, the runner's source id). */
const rawNodeId = (targetTable: string) => `source.${targetTable}`

/**
 * The real data: the runner's manifest file plus the destination's `_elt` history, read through
 * the runner's read API (`listRuns`, `runDetails`, `nodeHistory`, `testHistory`,
 * `latestFailureSample`) and parameterised queries for extract-load's table loads and counts.
 * Connections are read-only (`default_transaction_read_only`), so the dashboard cannot write to
 * the warehouse even by mistake, and bounded (`queryTimeoutSeconds`).
 *
 * ```ts
 * const source = warehouseSource({ destinationUrl, manifestPath: 'target/manifest.json' })
 * await source.runs(10) // select r.run_id, … from _elt.runs r left join _elt.model_results m … limit $1
 * ```
 */
export function warehouseSource(options: WarehouseSourceOptions): DashboardSource {
  // The pool is made on first use with the SSL setting the URL's sslmode negotiates (a pool
  // cannot fall back from one to the other itself); a failed negotiation is tried again next time.
  let pool: Promise<pg.Pool> | undefined
  const timeoutMs = (options.queryTimeoutSeconds ?? 30) * 1000
  const poolOf = () =>
    (pool ??= negotiateClientConfig({ label: 'destination', url: options.destinationUrl, origin: 'DESTINATION_DATABASE_URL' }, { waitSeconds: 2 }).then(
      (config) => {
        const created = new pg.Pool({
          ...config,
          max: 4,
          application_name: 'elt-dashboard',
          options: '-c default_transaction_read_only=on',
          query_timeout: timeoutMs,
          connectionTimeoutMillis: timeoutMs,
        })
        created.on('error', () => {}) // an idle client dropped by the server; the next query reconnects
        return created
      },
      (error: unknown) => {
        pool = undefined
        throw error
      },
    ))
  /** pg's bare timeout errors, said in words. */
  const timedOut = (error: unknown, what: string) =>
    error instanceof Error && /^(Query read timeout|timeout exceeded when trying to connect)$/.test(error.message)
      ? new EltError(`The destination did not answer ${what} within ${timeoutMs / 1000} s.`, {
          hint: 'Check the connection to the destination (the network, any proxy) and whether it is overloaded; reload to try again on a new connection.',
          exitCode: ExitCode.failure,
          cause: error,
        })
      : error
  const withClient = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await (await poolOf())
      .connect()
      .catch((error: unknown) => {
        throw timedOut(error, 'a new connection')
      })
    let failed: unknown
    try {
      return await work(client)
    } catch (error) {
      failed = error
      throw timedOut(error, 'a query')
    } finally {
      // after a failure (a query that timed out may still be running on it) the connection is dropped, never reused
      client.release(failed === undefined ? undefined : failed instanceof Error ? failed : true)
    }
  }
  const ttl = (options.manifestTtlSeconds ?? 2) * 1000
  let cached: { at: number; mtime: number; manifest: DashboardManifest } | undefined

  const readRunnerManifest = async (client: pg.ClientBase): Promise<{ manifest: Manifest; mtime: number }> => {
    const info = await stat(options.manifestPath).catch(() => undefined)
    if (info) return { manifest: JSON.parse(await readFile(options.manifestPath, 'utf8')) as Manifest, mtime: info.mtimeMs }
    // The manifest the last run recorded (the runner keeps one per run); none before the first build.
    const recorded = await client
      .query<{ manifest: Manifest }>(`select manifest from _elt.run_manifests order by recorded_at desc limit 1`)
      .catch(() => ({ rows: [] as { manifest: Manifest }[] }))
    if (recorded.rows[0]) return { manifest: recorded.rows[0].manifest, mtime: 0 }
    throw new EltError(`No manifest at ${options.manifestPath} and no run has recorded one in _elt.run_manifests.`, {
      hint: 'Build the project once with `pnpm elt build` (or `pnpm elt run`), then reload.',
      exitCode: ExitCode.failure,
    })
  }

  return {
    async manifest() {
      const info = await stat(options.manifestPath).catch(() => undefined)
      if (cached && Date.now() - cached.at < ttl && (info?.mtimeMs ?? 0) === cached.mtime) return cached.manifest
      return withClient(async (client) => {
        const { manifest, mtime } = await readRunnerManifest(client)
        const tables = await presentTables(client)
        const loadedFrom = tables.has('table_loads') ? await readLoadedFrom(client) : new Map<string, string>()
        const relations = Object.values(manifest.nodes).flatMap((node) => (node.schema && node.kind !== 'test' ? [{ schema: node.schema, name: node.name }] : []))
        const columns = await readCatalogColumns(client, relations)
        const recordedTests = (await testHistory(client, { perTest: 1 })).map(recordedTest) // none before the first test run
        const result = fromRunnerManifest(manifest, { loadedFrom, columns, recordedTests })
        cached = { at: Date.now(), mtime, manifest: result }
        return result
      })
    },

    runs: (limit) =>
      withClient(async (client) => {
        const tables = await presentTables(client)
        if (!tables.has('runs')) return []
        const runs = tables.has('model_results') ? await listRuns(client, { limit }) : await plainRuns(client, limit)
        const counts = await readRunCounts(client, runs.map((run) => run.runId), tables)
        return runs.map((run) => summary(run, counts.get(run.runId)!))
      }),

    run: (id) =>
      withClient(async (client) => {
        const tables = await presentTables(client)
        if (!tables.has('runs')) return undefined
        const details = tables.has('model_results') ? await runDetails(client, id) : await plainRun(client, id)
        if (!details) return undefined
        const counts = (await readRunCounts(client, [id], tables)).get(id)!
        const loads = tables.has('table_loads') ? await readRunLoads(client, id, rawNodeId) : []
        const extracts = tables.has('stage_extracts') ? await readRunExtracts(client, id) : []
        const models = details.nodes
          // Ephemeral models are inlined into their dependents: nothing of theirs ran.
          .filter((node) => node.kind === 'model' && node.materialized !== 'ephemeral' && node.startedAt !== null)
          .map((node): RunStep => ({
            kind: 'model',
            nodeId: node.nodeId,
            name: node.name,
            status: node.status,
            startedAt: node.startedAt!.toISOString(),
            finishedAt: (node.finishedAt ?? node.startedAt!).toISOString(),
            seconds: node.seconds,
            ...(node.worker === null ? {} : { worker: node.worker }),
            ...(node.rowsAffected === null ? {} : { rows: node.rowsAffected }),
            ...(node.message ? { message: node.message } : {}),
          }))
        return { ...summary(details.run, counts), steps: [...extracts, ...loads, ...models] } satisfies RunDetail
      }),

    testResults: (perTest) => withClient(async (client) => byTest(await testHistory(client, { perTest }))),

    testFailure: (testId) =>
      withClient(async (client): Promise<TestFailureDetail | undefined> => {
        const [last] = await testHistory(client, { testId, failingOnly: true, limit: 1 })
        if (!last) return undefined
        const sample = (await latestFailureSample(client, testId, { limit: maxSampleRows })).rows
        const sampleColumns = [...new Set(sample.flatMap((row) => Object.keys(row)))]
        return { testId, runId: last.runId, failures: last.failures ?? 0, sql: last.sql, sample, sampleColumns }
      }),

    lastNodeRuns: () => withClient(async (client) => readLastNodeRuns(client, await presentTables(client), rawNodeId)),

    nodeHistory: (nodeId, limit) =>
      withClient(async (client): Promise<NodeRunInfo[]> => {
        const tables = await presentTables(client)
        if (nodeId.startsWith('source.')) return tables.has('table_loads') ? readLoadHistory(client, nodeId.slice('source.'.length), limit) : []
        const runs = await nodeHistory(client, nodeId, { limit })
        return runs.map((run) => ({
          runId: run.runId,
          status: run.status,
          startedAt: (run.startedAt ?? run.finishedAt ?? new Date(0)).toISOString(),
          seconds: run.seconds,
          ...(run.rowsAffected === null ? {} : { rows: run.rowsAffected }),
          ...(run.message ? { message: run.message } : {}),
        }))
      }),

    close: async () => {
      const open = await pool?.catch(() => undefined)
      await open?.end()
    },
  }
}

/** Rows of a failing sample sent to the browser at most (samples are capped when stored; this guards a large cap). */
const maxSampleRows = 1000

/** Results grouped by test, each list newest first (as `testHistory` returns them). */
function byTest(entries: TestHistoryEntry[]): Map<string, TestResult[]> {
  const results = new Map<string, TestResult[]>()
  for (const entry of entries) {
    const list = results.get(entry.testId) ?? []
    list.push({
      testId: entry.testId,
      runId: entry.runId,
      status: entry.status,
      failures: entry.failures ?? 0,
      seconds: entry.seconds,
      at: new Date(entry.runAt).toISOString(),
      ...(entry.message ? { message: entry.message } : {}),
    })
    results.set(entry.testId, list)
  }
  return results
}

type RunRow = Awaited<ReturnType<typeof listRuns>>[number]

function summary(run: RunRow | Omit<RunRow, 'counts'>, counts: RunSummary['counts']): RunSummary {
  return {
    id: run.runId,
    command: run.command,
    ...(run.target ? { target: run.target } : {}),
    status: run.status as RunSummary['status'],
    startedAt: new Date(run.startedAt).toISOString(),
    ...(run.finishedAt ? { finishedAt: new Date(run.finishedAt).toISOString() } : {}),
    ...(run.seconds === null ? {} : { seconds: run.seconds }),
    counts,
    ...(run.message ? { message: run.message } : {}),
  }
}

const runColumns = `r.run_id::text as "runId", r.command, r.target, ${effectiveRunStatusSql('r.status', 'r.run_id')} as status,
  r.started_at as "startedAt", r.finished_at as "finishedAt", extract(epoch from r.finished_at - r.started_at)::float8 as seconds, r.message`

/** Runs before the runner ever recorded a model (e.g. replicate only): `select … from _elt.runs order by started_at desc limit $1`. */
async function plainRuns(client: pg.ClientBase, limit: number): Promise<RunRow[]> {
  const { rows } = await client.query<Omit<RunRow, 'counts'>>(`select ${runColumns} from _elt.runs r order by r.started_at desc limit $1`, [limit])
  return rows.map((row) => ({ ...row, counts: { success: 0, error: 0, skipped: 0 } }))
}

async function plainRun(client: pg.ClientBase, id: string): Promise<{ run: RunRow; nodes: [] } | undefined> {
  const { rows } = await client.query<Omit<RunRow, 'counts'>>(`select ${runColumns} from _elt.runs r where r.run_id = $1`, [id])
  return rows[0] ? { run: { ...rows[0], counts: { success: 0, error: 0, skipped: 0 } }, nodes: [] } : undefined
}
