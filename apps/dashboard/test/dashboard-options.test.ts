import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describeError, EltError } from '@elt/core'
import { describe, expect, it } from 'vitest'
import { parseDashboardOptions, usage } from '../src/dashboard-options.ts'

describe('pnpm dashboard options', () => {
  it('binds to 127.0.0.1:3000 by default and reads DASHBOARD_PORT / DASHBOARD_TOKEN', () => {
    expect(parseDashboardOptions([], {}, '/repo')).toEqual({ help: false, port: 3000, host: '127.0.0.1', projectDir: '/repo', manifestPath: '/repo/target/manifest.json', demo: false, token: undefined })
    expect(parseDashboardOptions([], { DASHBOARD_PORT: '8080', DASHBOARD_TOKEN: 's3cret' }, '/repo')).toMatchObject({ port: 8080, token: 's3cret' })
    expect(parseDashboardOptions(['--port', '4000', '--host', '0.0.0.0', '--project', 'sub', '--manifest', '/m.json'], { DASHBOARD_PORT: '8080' }, '/repo')).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      projectDir: '/repo/sub',
      manifestPath: '/m.json',
    })
  })

  it('rejects a bad port or an unknown option as a usage error (exit 2)', () => {
    for (const argv of [['--port', 'abc'], ['--port', '70000'], ['--prot', '1']]) {
      const error = (() => {
        try {
          parseDashboardOptions(argv, {}, '/repo')
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(EltError)
      expect((error as EltError).exitCode).toBe(2)
    }
    expect(describeError((() => { try { parseDashboardOptions(['--port', 'abc'], {}, '/') } catch (e) { return e } })())).toContain('got "abc"')
  })

  it('is documented in the README exactly as --help prints it', async () => {
    const readme = await readFile(path.join(import.meta.dirname, '..', 'README.md'), 'utf8')
    expect(readme).toContain(usage)
  })
})
