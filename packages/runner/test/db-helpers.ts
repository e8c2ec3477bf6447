import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { startRun } from '@elt/core'
import { buildProject, planProject, type BuildProjectOptions, type Project, type SelectOptions } from '../src/index.ts'
import type { TestDatabase } from '@elt/core/testing'

/** A connected client on the test database, for the test to end. */
export async function clientOf(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  return client
}

/** Builds `project` into `schema` on `db` the way `pnpm elt build` does; returns the outcome. */
export async function build(
  db: TestDatabase,
  project: Project,
  options: { schema?: string; selection?: SelectOptions } & Partial<Omit<BuildProjectOptions, 'plan' | 'control' | 'connect' | 'runId'>> = {},
) {
  const control = await clientOf(db)
  try {
    const runId = await startRun(control, { command: 'build', runId: randomUUID() })
    const plan = planProject(project, { name: 'prod', schema: options.schema ?? 'analytics' }, options.selection)
    const outcome = await buildProject({ ...options, plan, runId, control, connect: () => clientOf(db) })
    return { runId, ...outcome }
  } finally {
    await control.end()
  }
}
