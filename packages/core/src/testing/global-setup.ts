import type { TestProject } from 'vitest/node'
import { startTestServer } from './test-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the real PostgreSQL server for this test run. */
    pgAdminUrl: string
  }
}

/**
 * Vitest global setup: one real server per `vitest run`, each test file then
 * creates its own databases on it (`createTestDatabase(inject('pgAdminUrl'))`).
 * Use it as `globalSetup: ['@elt/core/testing/global-setup']`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer()
  project.provide('pgAdminUrl', server.adminUrl)
  return () => server.stop()
}
