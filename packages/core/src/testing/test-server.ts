import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedServer } from '../embedded/embedded-server.ts'

/** A real PostgreSQL server for a test run. */
export interface TestServer {
  /** Superuser URL of the server's `postgres` database. */
  adminUrl: string
  kind: 'existing' | 'docker' | 'embedded'
  stop(): Promise<void>
}

/**
 * The server tests run against:
 * - `PG_TEST_URL` set → that existing server (a superuser URL), nothing started;
 * - `ELT_TEST_DOCKER=1` → a `postgres:15` container through testcontainers;
 * - otherwise → an embedded PostgreSQL in a temporary folder, deleted on stop (`walLevel:
 *   'logical'` for change data capture tests: a server of their own, the shared one stays `minimal`).
 */
export async function startTestServer(env: NodeJS.ProcessEnv = process.env, options: { walLevel?: 'minimal' | 'logical' } = {}): Promise<TestServer> {
  if (env.PG_TEST_URL) return { adminUrl: env.PG_TEST_URL, kind: 'existing', stop: async () => {} }
  if (env.ELT_TEST_DOCKER === '1') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer('postgres:15').withDatabase('postgres').withCommand(options.walLevel === 'logical' ? ['postgres', '-c', 'wal_level=logical'] : ['postgres']).start()
    return { adminUrl: container.getConnectionUri(), kind: 'docker', stop: async () => void (await container.stop()) }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-test-pg-'))
  const server = await startEmbeddedServer({ dir, ephemeral: true, ...(options.walLevel ? { walLevel: options.walLevel } : {}) }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw error
  })
  return {
    adminUrl: server.urlFor('postgres'),
    kind: 'embedded',
    stop: async () => {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
