import { spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

describe('the global setup of a test run', () => {
  it("puts every temporary file of the run under the run's own folder, which the processes tests start inherit (removed when the run ends)", () => {
    expect(path.basename(os.tmpdir())).toMatch(/^elt-test-run-[A-Za-z0-9]{6}$/)
    const child = spawnSync(process.execPath, ['-e', "process.stdout.write(require('node:os').tmpdir())"], { encoding: 'utf8' })
    expect(child.stdout).toBe(os.tmpdir())
  })
})
