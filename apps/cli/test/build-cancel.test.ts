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
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_cancel_src')
  destination = await fixtureDatabase(inject('pgAdminUrl'), 'cli_cancel_dst')
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

describe('elt build, Ctrl-C', () => {
  it('cancels the running statement, skips the rest, records the run as cancelled and exits 1', async () => {
    const cwd = await emptyProject(`export default { models: { project: './slow-project.ts' } }\n`)
    await writeFile(
      path.join(cwd, 'slow-project.ts'),
      `import { defineModel, defineSource } from ${JSON.stringify(path.join(repo, 'packages/runner/src/index.ts'))}
const films = defineSource({ schema: 'raw', name: 'films' })
export const slow = defineModel({ name: 'slow', materialized: 'table', from: { films },
  query: (db) => db.selectFrom('films').select((eb) => eb.cast(eb.fn('pg_sleep', [eb.val(30)]), 'text').as('s')).limit(1) })
export const after = defineModel({ name: 'after_slow', from: { slow }, query: (db) => db.selectFrom('slow').selectAll() })
`,
    )
    const env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
    const sleeping = async () => (await destination.query(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`))[0]?.n === 1
    const run = await interruptElt(['build', '--json', '--config', path.join(cwd, 'elt.config.ts')], env, sleeping)
    expect(run.code, run.stderr).toBe(1)
    expect(run.seconds).toBeLessThan(10)
    const summary = JSON.parse(run.stdout)
    expect(summary.status).toBe('cancelled')
    expect(summary.models).toEqual([
      { name: 'slow', materialized: 'table', status: 'error', rows: null, seconds: expect.any(Number), message: 'cancelled by the user' },
      { name: 'after_slow', materialized: 'view', status: 'skipped', rows: null, seconds: 0, message: 'skipped: upstream slow failed' },
    ])
    expect(await destination.query(`select status from _elt.runs where run_id = $1`, [summary.runId])).toEqual([{ status: 'cancelled' }])
    expect(await destination.query(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`)).toEqual([{ n: 0 }])
    // the model's first build was rolled back: neither it nor its shadow exists
    expect(await destination.query(`select relname from pg_class where relname in ('slow', 'slow__next', 'after_slow')`)).toEqual([])
  })
})
