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

/**
 * The schema-fidelity test compares `pg_dump --schema-only` of the source and of the replica, so it
 * needs pg_dump 15 (the embedded server's major version); no npm package ships it. On a Debian/Ubuntu
 * machine without it, install the client with apt (as root, or through non-interactive sudo) and say
 * so; elsewhere the test itself fails naming what to install (PG_DUMP may point to a pg_dump 15+).
 */
function ensurePgDump() {
  if (process.env.PG_DUMP || existsSync('/usr/lib/postgresql/15/bin/pg_dump')) return
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  console.log('pg_dump 15 is missing (the schema-fidelity test needs it): installing postgresql-client-15 with apt-get')
  const apt = (args) => spawnSync(sudo.length ? sudo[0] : 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  }).status
  if (apt(['install', '-y', '-qq', 'postgresql-client-15']) !== 0 && (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', 'postgresql-client-15']) !== 0)) {
    console.log('could not install postgresql-client-15: the schema-fidelity test will say what to install')
  }
}

const run = (args) =>
  spawnSync('pnpm', ['exec', 'turbo', ...args], { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1

ensurePgDump()
const typecheckStatus = run(['run', 'typecheck'])
let status = typecheckStatus
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
const typecheck = typecheckStatus ? '; the typecheck FAILED (its errors are above)' : ''
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${broken}${typecheck}`)
process.exit(status)
