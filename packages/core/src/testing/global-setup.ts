import type { TestProject } from 'vitest/node'
import { describeError } from '../elt-error.ts'
import { startTestServer } from './test-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the real PostgreSQL server for this test run. */
    pgAdminUrl: string
  }
}

/** An error and its chain of causes, one per line: what a failed setup prints. */
export function describeWithCauses(error: unknown): string {
  const lines = [describeError(error)]
  for (let cause = (error as { cause?: unknown } | undefined)?.cause, depth = 0; cause !== undefined && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    const text = describeError(cause)
    if (!lines.some((line) => line.includes(text))) lines.push(`caused by: ${text}`)
  }
  return lines.join('\n')
}

/**
 * Vitest global setup: one real server per `vitest run`, each test file then
 * creates its own databases on it (`createTestDatabase(inject('pgAdminUrl'))`).
 * Use it as `globalSetup: ['@elt/core/testing/global-setup']`. A server that cannot start
 * prints why on stderr (then fails the run), whatever the reporter shows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer().catch((error: unknown) => {
    process.stderr.write(`\nCould not start the PostgreSQL server for the tests of ${project.name || project.config.root}:\n${describeWithCauses(error)}\n\n`)
    throw error
  })
  project.provide('pgAdminUrl', server.adminUrl)
  return () => server.stop()
}
