// The whole test suite: type-check every package, run every package's vitest suite
// (one at a time: each starts its own PostgreSQL), then print one closing line
// "tests: N passed, N failed" summed over the packages' JSON reports (plus the test files
// that failed as a whole, whose tests would otherwise only show as skipped).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(path.join(root, dir)).map((name) => path.join(root, dir, name)),
)
const reportOf = (dir) => path.join(dir, 'test-results', 'vitest.json')
for (const dir of workspaces) rmSync(reportOf(dir), { force: true })

const run = (args) =>
  spawnSync('pnpm', ['exec', 'turbo', ...args], { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1

let status = run(['run', 'typecheck'])
const testStatus = run(['run', 'test', '--concurrency=1', '--continue', '--', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json'])
status ||= testStatus

let passed = 0
let failed = 0
let skipped = 0
const brokenFiles = [] // files that failed as a whole (e.g. a beforeAll that threw): their tests count as skipped
for (const dir of workspaces) {
  const file = reportOf(dir)
  if (!existsSync(file)) continue
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + (report.numTodoTests ?? 0)
  for (const result of report.testResults ?? []) {
    if (result.status === 'failed' && !(result.assertionResults ?? []).some((a) => a.status === 'failed')) brokenFiles.push(path.relative(root, result.name))
  }
}
if (passed + failed === 0) status ||= 1
const broken = brokenFiles.length ? `; ${brokenFiles.length} test file(s) failed before their tests ran: ${brokenFiles.join(', ')}` : ''
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${broken}`)
process.exit(status)
