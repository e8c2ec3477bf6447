import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, migrateCore, sleep } from '@elt/core'
import type { TestDatabase } from '@elt/core/testing'
import { fixtureDatabase } from '../../../packages/models/test/fixture-database.ts'
import { runCli } from '../src/cli.ts'
import type { CliIo } from '../src/io.ts'
import { emptyProject } from './replicate-helpers.ts'

const runnerEntry = fileURLToPath(new URL('../../../packages/runner/src/index.ts', import.meta.url))

/**
 * One writer per pipeline: replicate, extract and load contend with build (and each other) on
 * the pipeline's lock. The source is the destination itself: `public.pl_items` is the one table
 * replicate copies (into raw.pl_items) and extract writes to the stage; raw.films is what the
 * build reads. A first command is held mid-run by locking the table it reads.
 */
let db: TestDatabase
let env: Record<string, string>
let cwd: string
beforeAll(async () => {
  db = await fixtureDatabase(inject('pgAdminUrl'), 'cli_pipeline_lock')
  await db.query(`create table public.pl_items (id int primary key, name text not null); insert into public.pl_items select i, 'item ' || i from generate_series(1, 50) i`)
  // _elt.runs exists from the start, so the test can poll it before the first run records itself
  const state = await connectClient({ label: 'destination', url: db.url })
  await migrateCore(state).finally(() => state.end())
  env = { SOURCE_DATABASE_URL: db.url, DESTINATION_DATABASE_URL: db.url, ELT_CONNECT_TIMEOUT_SECONDS: '5' }
  cwd = await emptyProject(`export default { models: { project: './project.ts' }, stage: { dir: 'stage' } }\n`)
  await writeFile(
    path.join(cwd, 'project.ts'),
    `import { defineModel, defineSource } from ${JSON.stringify(runnerEntry)}
const films = defineSource({ schema: 'raw', name: 'films' })
export const filmCount = defineModel({ name: 'film_count', materialized: 'table', from: { films },
  query: (db) => db.selectFrom('films').select((eb) => eb.fn.countAll<string>().as('n')) })
`,
  )
})
afterAll(async () => {
  await db.drop()
})

/** `elt <argv>` in-process, its stderr readable while it runs. */
function startElt(argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env, cwd }
  const done = runCli(argv, io).then((code) => ({ code, stdout, stderr }))
  return { done, stderr: () => stderr }
}

/** Holds `table` in ACCESS EXCLUSIVE mode until `release`: a command reading it waits there, mid-run. */
async function block(table: string) {
  const blocker = await connectClient({ label: 'destination', url: db.url })
  await blocker.query(`begin; lock table ${table} in access exclusive mode`)
  return {
    release: async () => {
      await blocker.query('commit')
      await blocker.end()
    },
  }
}

/** Polls until `check` is true, or throws after 30 s. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) if (await check()) return
  throw new Error(`timed out waiting for ${what}`)
}

const runsOf = (command: string) =>
  db.query<{ run_id: string; status: string; started_at: Date; finished_at: Date | null }>(
    `select run_id::text, status, started_at, finished_at from _elt.runs where command = $1 order by started_at`,
    [command],
  )
const runningRun = async (command: string) => (await runsOf(command)).find((r) => r.status === 'running')

describe('one writer per pipeline', () => {
  it('replicate while a build runs: exits 1 at once naming the build; with --wait, replicates after it', async () => {
    const films = await block('raw.films')
    let build: ReturnType<typeof startElt> | undefined
    let waiting: ReturnType<typeof startElt> | undefined
    try {
      build = startElt(['build', '--json'])
      await until('the build running', async () => (await runningRun('build')) !== undefined)
      const buildRunId = (await runningRun('build'))!.run_id

      const refused = await startElt(['replicate', '--json']).done
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`error: The target "analytics" is locked: held by run ${buildRunId} \\(build, target prod\\) started .*Wait for it to finish, or add --wait`))
      expect(JSON.parse(refused.stdout)).toEqual({ runId: null, status: 'error', tables: [], error: expect.stringContaining(buildRunId) })
      expect(await runsOf('replicate')).toEqual([])
      expect(await db.query(`select to_regclass('raw.pl_items') as t`)).toEqual([{ t: null }])

      waiting = startElt(['replicate', '--json', '--wait'])
      await until('replicate waiting', () => waiting!.stderr().includes(`waiting for the target "analytics": held by run ${buildRunId} (build, target prod)`))
      expect(await runsOf('replicate')).toEqual([])
    } finally {
      await films.release()
    }
    const [built, replicated] = await Promise.all([build.done, waiting.done])
    expect(built.code, built.stderr).toBe(0)
    expect(replicated.code, replicated.stderr).toBe(0)
    const [buildRun] = await runsOf('build')
    const [replicateRun] = await runsOf('replicate')
    expect(replicateRun!.status).toBe('success')
    expect(replicateRun!.run_id).toBe(JSON.parse(replicated.stdout).runId)
    expect(replicateRun!.started_at.getTime()).toBeGreaterThanOrEqual(buildRun!.finished_at!.getTime())
    expect(await db.query(`select count(*)::int as n from raw.pl_items`)).toEqual([{ n: 50 }])
  })

  it('load while an extract runs: exits 1 at once naming the extract; with --wait, loads after it', async () => {
    const day = await startElt(['extract', '--date', '2024-01-15', '--json']).done
    expect(day.code, day.stderr).toBe(0)
    const items = await block('public.pl_items')
    let extract: ReturnType<typeof startElt> | undefined
    let waiting: ReturnType<typeof startElt> | undefined
    try {
      extract = startElt(['extract', '--date', '2024-01-16', '--json'])
      await until('the extract running', async () => (await runningRun('extract')) !== undefined)
      const extractRunId = (await runningRun('extract'))!.run_id

      const refused = await startElt(['load', '--date', '2024-01-15', '--json']).done
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`error: The target "analytics" is locked: held by run ${extractRunId} \\(extract\\) started `))
      expect(JSON.parse(refused.stdout)).toMatchObject({ runId: null, status: 'error', date: '2024-01-15', tables: [] })
      expect(await runsOf('load')).toEqual([])

      waiting = startElt(['load', '--date', '2024-01-15', '--json', '--wait'])
      await until('load waiting', () => waiting!.stderr().includes(`waiting for the target "analytics": held by run ${extractRunId} (extract)`))
    } finally {
      await items.release()
    }
    const [extracted, loaded] = await Promise.all([extract.done, waiting.done])
    expect(extracted.code, extracted.stderr).toBe(0)
    expect(loaded.code, loaded.stderr).toBe(0)
    const extractRun = (await runsOf('extract')).at(-1)!
    const [loadRun] = await runsOf('load')
    expect(loadRun!.status).toBe('success')
    expect(loadRun!.started_at.getTime()).toBeGreaterThanOrEqual(extractRun.finished_at!.getTime())
    const load = JSON.parse(loaded.stdout) as { runId: string; tables: { target: string; rows: number }[] }
    expect(load.runId).toBe(loadRun!.run_id)
    expect(load.tables.map((t) => [t.target, t.rows])).toEqual([['raw.pl_items', 50]])
  })
})
