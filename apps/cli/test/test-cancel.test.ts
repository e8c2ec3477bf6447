import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { fixtureDatabase } from '../../../packages/models/test/fixture-database.ts'
import { emptyProject, interruptElt } from './replicate-helpers.ts'

const repo = fileURLToPath(new URL('../../../', import.meta.url))

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_test_cancel_src')
  destination = await fixtureDatabase(inject('pgAdminUrl'), 'cli_test_cancel_dst')
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

const sleeping = async () =>
  (await destination.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`))[0]!.n

describe('elt test, Ctrl-C', () => {
  it('cancels the running test query, records the run as cancelled (no test results) and exits 1', async () => {
    const cwd = await emptyProject(`export default { models: { project: './slow-tests.ts' } }\n`)
    await writeFile(
      path.join(cwd, 'slow-tests.ts'),
      `import { defineSource, expression } from ${JSON.stringify(path.join(repo, 'packages/runner/src/index.ts'))}
export const films = defineSource({ schema: 'raw', name: 'films', columns: {
  film_id: { tests: [expression((eb) => eb(eb.cast(eb.fn('pg_sleep', [eb.lit(30)]), 'text'), '=', ''), { label: 'slow' })] },
} })
`,
    )
    const cancelled = await interruptElt(['test', '--json', '--config', path.join(cwd, 'elt.config.ts')], env, async () => (await sleeping()) === 1)
    expect(cancelled.code, cancelled.stderr).toBe(1)
    expect(cancelled.seconds).toBeLessThan(10) // the test query would sleep 30 s more
    expect(await sleeping()).toBe(0)
    const [run] = await destination.query<{ run_id: string; status: string }>(`select run_id, status from _elt.runs where command = 'test' order by started_at desc limit 1`)
    expect(run?.status).toBe('cancelled')
    // the cancelled query's error is not a test result
    expect(await destination.query(`select count(*)::int as n from _elt.test_results where run_id = $1`, [run!.run_id])).toEqual([{ n: 0 }])
  })
})
