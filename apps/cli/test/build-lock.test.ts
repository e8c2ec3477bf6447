import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, lockTarget, sleep, startRun } from '@elt/core'
import type { TestDatabase } from '@elt/core/testing'
import { fixtureDatabase } from '../../../packages/models/test/fixture-database.ts'
import { runCli } from '../src/cli.ts'
import type { CliIo } from '../src/io.ts'
import { emptyProject } from './replicate-helpers.ts'

const runnerEntry = fileURLToPath(new URL('../../../packages/runner/src/index.ts', import.meta.url))

let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  destination = await fixtureDatabase(inject('pgAdminUrl'), 'cli_build_lock')
  env = { SOURCE_DATABASE_URL: destination.url, DESTINATION_DATABASE_URL: destination.url, ELT_CONNECT_TIMEOUT_SECONDS: '5' }
})
afterAll(async () => {
  await destination.drop()
})

/** A project with one table model over raw.films (the test blocks it by locking raw.films) and a view on it. */
async function lockProject(): Promise<string> {
  const cwd = await emptyProject(`export default { models: { project: './project.ts' } }\n`)
  await writeFile(
    path.join(cwd, 'project.ts'),
    `import { defineModel, defineSource } from ${JSON.stringify(runnerEntry)}
const films = defineSource({ schema: 'raw', name: 'films' })
export const filmCount = defineModel({ name: 'film_count', materialized: 'table', from: { films },
  query: (db) => db.selectFrom('films').select((eb) => eb.fn.countAll<string>().as('n')) })
export const filmCountView = defineModel({ name: 'film_count_view', from: { filmCount }, query: (db) => db.selectFrom('filmCount').selectAll() })
`,
  )
  return cwd
}

/** `elt <argv>` in-process, its stderr readable while it runs. */
function startElt(argv: string[], cwd: string) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd,
  }
  const done = runCli(argv, io).then((code) => ({ code, stdout, stderr }))
  return { done, stderr: () => stderr }
}

/** Resolves once `n` of the promises have settled, or throws after `ms`. */
async function firstSettled<T>(promises: Promise<T>[], n: number, ms: number): Promise<void> {
  let settled = 0
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${settled} of ${n} runs ended within ${ms} ms`)), ms)
    for (const p of promises)
      void p.finally(() => {
        if (++settled === n) {
          clearTimeout(timer)
          resolve()
        }
      })
  })
}

/** Holds raw.films in ACCESS EXCLUSIVE mode until `release`: a build reading it waits there. */
async function blockFilms() {
  const blocker = await connectClient({ label: 'destination', url: destination.url })
  await blocker.query('begin; lock table raw.films in access exclusive mode')
  return {
    release: async () => {
      await blocker.query('commit')
      await blocker.end()
    },
  }
}

const buildRuns = () =>
  destination.query<{ run_id: string; status: string; started_at: Date; finished_at: Date | null }>(
    `select run_id::text, status, started_at, finished_at from _elt.runs where command = 'build' order by started_at`,
  )

describe('concurrent builds into one target', () => {
  it('one builds; the others exit 1 at once naming the run that holds the target', async () => {
    const cwd = await lockProject()
    await destination.query('delete from _elt.runs').catch(() => {})
    const blocker = await blockFilms()
    let runs: ReturnType<typeof startElt>[] = []
    try {
      runs = [0, 1, 2].map(() => startElt(['build', '--json'], cwd))
      await firstSettled(runs.map((r) => r.done), 2, 30_000)
    } finally {
      await blocker.release()
    }
    const results = await Promise.all(runs.map((r) => r.done))
    expect(results.map((r) => r.code).sort()).toEqual([0, 1, 1])
    const winner = results.find((r) => r.code === 0)!
    const holderId = JSON.parse(winner.stdout).runId as string
    for (const refused of results.filter((r) => r.code === 1)) {
      expect(refused.stderr).toMatch(
        new RegExp(
          `error: The target "analytics" is locked: held by run ${holderId} \\(build, target prod\\) started [0-9-]+ [0-9:]+ UTC by \\S+ on host \\S+ \\(pid ${process.pid}\\)\\. Wait for it to finish, or add --wait`,
        ),
      )
      expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'error' })
    }
    // refused runs wrote nothing and recorded no run
    expect((await buildRuns()).map((r) => [r.run_id, r.status])).toEqual([[holderId, 'success']])
    expect(await destination.query(`select n::int from analytics.film_count`)).toEqual([{ n: 118 }])
  })

  it('with --wait, each waits for the one holding the target and all three succeed, one after another', async () => {
    const cwd = await lockProject()
    await destination.query('delete from _elt.runs')
    const blocker = await blockFilms()
    let runs: ReturnType<typeof startElt>[] = []
    try {
      runs = [0, 1, 2].map(() => startElt(['build', '--json', '--wait'], cwd))
      const waiting = () => runs.filter((r) => /waiting for the target "analytics": held by run [0-9a-f-]{36} \(build, target prod\)/.test(r.stderr()))
      for (const deadline = Date.now() + 30_000; waiting().length < 2 && Date.now() < deadline; ) await sleep(50)
      expect(waiting()).toHaveLength(2)
      const running = await buildRuns()
      expect(running.map((r) => r.status)).toEqual(['running'])
      for (const r of waiting()) expect(r.stderr()).toContain(`held by run ${running[0]!.run_id} `)
    } finally {
      await blocker.release()
    }
    const results = await Promise.all(runs.map((r) => r.done))
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0])
    const recorded = await buildRuns()
    expect(recorded.map((r) => r.status)).toEqual(['success', 'success', 'success'])
    for (let i = 1; i < recorded.length; i++) expect(recorded[i]!.started_at.getTime()).toBeGreaterThanOrEqual(recorded[i - 1]!.finished_at!.getTime())
    expect(await destination.query(`select n::int from analytics.film_count_view`)).toEqual([{ n: 118 }])
  })

  it('`elt run` is refused too while another run writes its target, before copying anything', async () => {
    const cwd = await lockProject()
    const holder = await connectClient({ label: 'destination', url: destination.url })
    try {
      await lockTarget(holder, 'analytics')
      const runId = await startRun(holder, { command: 'build', target: 'prod', startedBy: 'schedule nightly' })
      const refused = await startElt(['run', '--json'], cwd).done
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`error: The target "analytics" is locked: held by run ${runId} \\(build, target prod, schedule nightly\\) started `))
      expect(JSON.parse(refused.stdout)).toMatchObject({ runId: null, status: 'error' })
      expect(await destination.query(`select count(*)::int as n from _elt.runs where command = 'run'`)).toEqual([{ n: 0 }])
    } finally {
      await holder.end()
    }
  })
})
