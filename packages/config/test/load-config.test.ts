import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { EltError, ExitCode } from '@elt/core'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/index.ts'

const folders: string[] = []
/** A temporary folder outside the repository, with the given files. */
async function folder(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-config-test-'))
  folders.push(dir)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), text)
  }
  return dir
}
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function loadError(cwd: string, file?: string): Promise<EltError> {
  const error = await loadConfig(cwd, file).then(() => undefined, (e: unknown) => e)
  if (!(error instanceof EltError)) throw new Error(`expected an EltError, got ${String(error)}`)
  return error
}

describe('loadConfig', () => {
  it('no config file: every default, relative to the current folder', async () => {
    const cwd = await folder()
    const loaded = await loadConfig(cwd)
    expect(loaded).toEqual({ projectDir: cwd, file: undefined, config: expect.objectContaining({ models: { project: path.join(cwd, 'packages/models/src/index.ts') } }) })
  })

  it.each([
    ['json', 'settings/prod.json', JSON.stringify({ replicate: { jobs: 3 }, models: { project: '../models/index.ts' } })],
    ['mjs', 'settings/prod.mjs', `export default { replicate: { jobs: 3 }, models: { project: '../models/index.ts' } }\n`],
    ['js', 'settings/prod.js', `export default { replicate: { jobs: 3 }, models: { project: '../models/index.ts' } }\n`],
    ['ts', 'settings/prod.ts', `const jobs: number = 3\nexport default { replicate: { jobs }, models: { project: '../models/index.ts' } }\n`],
  ])('--config with a .%s file outside the repository; relative paths are relative to the file', async (_kind, name, text) => {
    const home = await folder({ [name]: text })
    const cwd = await folder()
    const loaded = await loadConfig(cwd, path.join(home, name))
    expect(loaded.file).toBe(path.join(home, name))
    expect(loaded.projectDir).toBe(path.join(home, 'settings'))
    expect(loaded.config.replicate).toEqual({ jobs: 3 })
    expect(loaded.config.models.project).toBe(path.join(home, 'models/index.ts'))
  })

  it('--config relative to the current folder', async () => {
    const cwd = await folder({ 'conf/elt.json': '{ "defaultTarget": "dev" }' })
    const loaded = await loadConfig(cwd, 'conf/elt.json')
    expect(loaded.config.defaultTarget).toBe('dev')
    expect(loaded.config.models.project).toBe(path.join(cwd, 'conf/packages/models/src/index.ts'))
  })

  it('finds elt.config.json when there is no elt.config.ts, and refuses two config files', async () => {
    const cwd = await folder({ 'elt.config.json': '{ "replicate": { "targetSchema": "landing" } }' })
    expect((await loadConfig(cwd)).config.replicate).toEqual({ targetSchema: 'landing' })
    await writeFile(path.join(cwd, 'elt.config.mjs'), 'export default {}\n')
    const error = await loadError(cwd)
    expect([error.exitCode, error.message, error.hint]).toEqual([ExitCode.usage, `Found 2 config files in ${cwd}: elt.config.mjs, elt.config.json.`, 'Keep one, or choose with --config <file>.'])
  })

  it('an invalid value in a JSON file: exit 2 naming the file, the field, the value and what is expected', async () => {
    const cwd = await folder({ 'elt.config.json': JSON.stringify({ replicate: { jobs: 'four', include: 'films' }, replicat: {} }) })
    const error = await loadError(cwd)
    expect(error.exitCode).toBe(ExitCode.usage)
    expect(error.message).toBe(
      [
        `Invalid config in ${path.join(cwd, 'elt.config.json')}:`,
        '  replicate.include: expected a list of table patterns such as ["films", "public.film_*"], got "films"',
        '  replicate.jobs: expected a whole number ≥ 1, got "four"',
        '  replicat: unknown key (did you mean "replicate"?)',
        'Every key and its values are listed under Configuration in README.md.',
      ].join('\n'),
    )
  })

  it.each([
    ['a missing --config file', {}, 'missing.mjs', (dir: string) => `Config file ${path.join(dir, 'missing.mjs')} does not exist.`],
    ['an unsupported extension', { 'elt.yaml': 'replicate: {}' }, 'elt.yaml', (dir: string) => `Config file ${path.join(dir, 'elt.yaml')} has an unsupported extension ".yaml".`],
    ['a JSON syntax error', { 'elt.json': '{ "replicate": ' }, 'elt.json', (dir: string) => `Could not load ${path.join(dir, 'elt.json')}: Unexpected end of JSON input`],
    ['a module that throws', { 'elt.mjs': 'throw new Error("no config today")\n' }, 'elt.mjs', (dir: string) => `Could not load ${path.join(dir, 'elt.mjs')}: no config today`],
    ['a module with no default export', { 'elt.mjs': 'export const config = {}\n' }, 'elt.mjs', (dir: string) => `Config file ${path.join(dir, 'elt.mjs')} has no default export.`],
  ])('%s is a usage error (exit 2) naming the file', async (_case, files, file, message) => {
    const cwd = await folder(files)
    const error = await loadError(cwd, file)
    expect([error.exitCode, error.message]).toEqual([ExitCode.usage, message(cwd)])
  })
})
