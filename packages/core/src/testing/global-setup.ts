import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
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
 *
 * Every temporary file of the run (test projects, stages, browser profiles, the CLI processes the
 * tests start) goes under one folder of its own (`TMPDIR`, which the test workers and their
 * children inherit and `os.tmpdir()` reads), removed when the run ends: a test that forgets to
 * remove its folder leaves nothing behind.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const previousTmp = process.env.TMPDIR
  // a folder that cannot be made: the files go where they would have (and the server's start says why)
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'elt-test-run-')).catch(() => undefined)
  if (tmp !== undefined) process.env.TMPDIR = tmp
  const cleanUp = async () => {
    if (tmp === undefined) return
    if (previousTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previousTmp
    await rm(tmp, { recursive: true, force: true })
  }
  const server = await startTestServer().catch(async (error: unknown) => {
    process.stderr.write(`\nCould not start the PostgreSQL server for the tests of ${project.name || project.config.root}:\n${describeWithCauses(error)}\n\n`)
    await cleanUp()
    throw error
  })
  project.provide('pgAdminUrl', server.adminUrl)
  return async () => {
    await server.stop()
    await cleanUp()
  }
}
