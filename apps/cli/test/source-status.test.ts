import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt } from './replicate-helpers.ts'

const models = fileURLToPath(new URL('../../../packages/models/src/index.ts', import.meta.url))
let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let project: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_fresher_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_fresher_dst')
  await source.query(`create table films (film_id int primary key, title text, updated_at timestamptz not null);
    create table users (user_id int primary key, name text, updated_at timestamptz not null);
    insert into films select g, 'Film ' || g, timestamptz '2026-12-01 10:00+00' from generate_series(1, 5) g;
    insert into users select g, 'User ' || g, timestamptz '2026-12-01 10:00+00' from generate_series(1, 5) g;`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  const cursor = `{ strategy: 'incremental', cursor: 'updated_at' }`
  project = await emptyProject(`export default { models: { project: ${JSON.stringify(models)} }, replicate: { tables: { 'public.films': ${cursor}, 'public.users': ${cursor} } } }\n`)
})
afterAll(async () => {
  await rm(project, { recursive: true, force: true })
  await source.drop()
  await destination.drop()
})

const listed = async (selector: string) => {
  const { code, stdout, stderr } = await runElt(['ls', '--json', '--select', selector], env, project)
  expect(code, stderr).toBe(0)
  return (JSON.parse(stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id)
}

describe('--select source_status:fresher+', () => {
  it('selects exactly the models downstream of the raw tables the latest replication changed', async () => {
    expect((await runElt(['replicate'], env, project)).code).toBe(0)
    await source.query(`update films set title = 'Changed', updated_at = timestamptz '2026-12-01 11:00+00' where film_id = 1`)
    expect((await runElt(['replicate'], env, project)).code).toBe(0)
    const fresher = await listed('source_status:fresher+')
    expect(fresher).toEqual(await listed('source:raw.films+'))
    expect(fresher).toContain('model.stg_films')
    expect(fresher.some((id) => id.includes('user'))).toBe(false)

    // nothing changed in the next replication: nothing selected
    expect((await runElt(['replicate'], env, project)).code).toBe(0)
    expect(await listed('source_status:fresher+')).toEqual([])
  })
})
