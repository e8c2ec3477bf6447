import { spawn } from 'node:child_process'
import { readFileSync, utimesSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { embeddedDataDir, runningPostmaster } from '@elt/core'
import { commands } from '../src/commands/index.ts'
import { renderOverview } from '../src/help.ts'
import { runElt } from './replicate-helpers.ts'

// `pnpm elt` runs `node scripts/elt.mjs`: the CLI compiled to JavaScript, rebuilt when a source changed.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
/** The environment `pnpm elt` runs in: without the NODE_PATH that `pnpm exec vitest`'s shim sets (it would find any package). */
const userEnv = (drop: string[] = []) => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_PATH' && !drop.includes(k)))
const currentBuild = () => (JSON.parse(readFileSync(path.join(root, 'apps/cli/dist/current.json'), 'utf8')) as { dir: string }).dir

function compiledElt(argv: string[], env: Record<string, string> = {}, cwd = root, unset: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(root, 'scripts/elt.mjs'), ...argv], { cwd, env: { ...userEnv(unset), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

describe('the compiled CLI', () => {
  it('prints the help and the version and exits 0, and exits 2 on an unknown command', async () => {
    const help = await compiledElt(['--help'])
    expect(help).toMatchObject({ code: 0, stdout: renderOverview(commands) + '\n' })
    const version = await compiledElt(['--version'])
    expect(version).toMatchObject({ code: 0, stdout: `elt ${(JSON.parse(readFileSync(path.join(root, 'apps/cli/package.json'), 'utf8')) as { version: string }).version} (Node.js ${process.version})\n` })
    const unknown = await compiledElt(['no-such-command'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no-such-command')
  })

  it("loads the project's TypeScript config and models as the TypeScript CLI does", async () => {
    const compiled = await compiledElt(['ls'])
    const inProcess = await runElt(['ls'], {}, root)
    expect(compiled.stderr).toBe('')
    expect(compiled.code).toBe(0)
    expect(inProcess.code).toBe(0)
    expect(compiled.stdout).toBe(inProcess.stdout)
    expect(compiled.stdout).toContain('model.film_ratings')
  })

  it('is rebuilt when a source is newer than the build', async () => {
    await compiledElt(['--help'])
    const before = currentBuild()
    const source = path.join(root, 'apps/cli/src/help.ts')
    const now = new Date()
    utimesSync(source, now, now) // as an edit does (the content stays)
    const after = await compiledElt(['--help'])
    expect(after.code).toBe(0)
    expect(currentBuild()).not.toBe(before)
    const again = await compiledElt(['--help'])
    expect(again.code).toBe(0)
  })

  it('replicates on the embedded default, finding the PostgreSQL binaries from its own bundle', async () => {
    const project = await mkdtemp(path.join(os.tmpdir(), 'elt-compiled-'))
    const dataDir = await embeddedDataDir(path.join(project, '.elt', 'postgres'))
    try {
      await mkdir(path.join(project, 'source_db_init'))
      await writeFile(path.join(project, 'source_db_init', 'init.sql'), 'create table t (id int primary key); insert into t values (1), (2), (3);')
      const { code, stdout, stderr } = await compiledElt(['replicate', '--json'], {}, project, ['SOURCE_DATABASE_URL', 'DESTINATION_DATABASE_URL'])
      expect(code, stderr).toBe(0)
      const summary = JSON.parse(stdout) as { tables: { source: string; rows: number }[] }
      expect(summary.tables.map((t) => [t.source, t.rows])).toEqual([['public.t', 3]])
    } finally {
      const left = await runningPostmaster(dataDir)
      if (left) process.kill(left.pid, 'SIGINT') // the command stops the server it started; this only cleans up after a failure
      for (let i = 0; i < 100 && (await runningPostmaster(dataDir)); i++) await new Promise((r) => setTimeout(r, 100))
      await rm(project, { recursive: true, force: true })
      if (!dataDir.startsWith(project)) await rm(path.dirname(dataDir), { recursive: true, force: true })
    }
  })

  it('reads a TypeScript config in a project of its own, as an ES module or as CommonJS', async () => {
    const config = (head: string) => `${head}const jobs: number = 0\nexport default { replicate: { jobs } }\n`
    const projects = {
      // resolves @elt/config to the CLI's own copy
      esm: { 'package.json': '{ "type": "module" }', 'elt.config.ts': config("import { defineConfig } from '@elt/config'\nvoid defineConfig\n") },
      // no "type": "module": tsx compiles it to CommonJS, its exports arrive under `default`
      cjs: { 'elt.config.ts': config('') },
    }
    for (const [kind, files] of Object.entries(projects)) {
      const project = await mkdtemp(path.join(os.tmpdir(), `elt-compiled-${kind}-`))
      try {
        for (const [name, content] of Object.entries(files)) await writeFile(path.join(project, name), content)
        const { code, stderr } = await compiledElt(['ls'], {}, project)
        expect(stderr, kind).toContain('replicate.jobs: expected a whole number ≥ 1, got 0')
        expect(code, kind).toBe(2)
      } finally {
        await rm(project, { recursive: true, force: true })
      }
    }
  })

  it('started by `pnpm elt` in another folder: reads that folder\'s config and a --config relative to it, else the workspace root\'s', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'elt-invoked-'))
    const jobs = path.join(home, 'jobs')
    const bare = await mkdtemp(path.join(os.tmpdir(), 'elt-invoked-bare-'))
    const configOf = (dir: string, schema: string) => JSON.stringify({ models: { project: path.relative(dir, path.join(root, 'packages/models/src/index.ts')) }, targets: { here: { schema } }, defaultTarget: 'here' })
    try {
      await mkdir(jobs)
      await writeFile(path.join(home, 'elt.config.json'), configOf(home, 'home_marts'))
      await writeFile(path.join(jobs, 'nightly.json'), configOf(jobs, 'nightly_marts'))
      // what pnpm does: the script runs in the workspace root (cwd), INIT_CWD names the folder it was typed in
      const typedIn = (dir: string) => ({ npm_lifecycle_event: 'elt', INIT_CWD: dir, SOURCE_DATABASE_URL: 'postgres://u@127.0.0.1:1/none', DESTINATION_DATABASE_URL: 'postgres://u@127.0.0.1:1/none' })
      const relationOf = async (argv: string[], dir: string) => {
        const { code, stdout, stderr } = await compiledElt(['ls', '--json', '--select', 'stg_films', ...argv], typedIn(dir))
        expect(code, stderr).toBe(0)
        return (JSON.parse(stdout) as { nodes: { relation: string }[] }).nodes.map((n) => n.relation)
      }
      expect(await relationOf([], home)).toEqual(['home_marts.stg_films'])
      expect(await relationOf(['--config', 'jobs/nightly.json'], home)).toEqual(['nightly_marts.stg_films'])
      expect(await relationOf(['--config', 'nightly.json'], jobs)).toEqual(['nightly_marts.stg_films'])
      // a folder without a config file: the workspace root's, as before
      expect(await relationOf([], bare)).toEqual(['analytics.stg_films'])
    } finally {
      await rm(home, { recursive: true, force: true })
      await rm(bare, { recursive: true, force: true })
    }
  })

  it('is the workspace\'s `elt` and `models` binaries, so `pnpm elt` works in a package without that script (reading the workspace\'s config)', async () => {
    const models = path.join(root, 'packages/models')
    const viaBin = (bin: string, argv: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(root, 'node_modules/@elt/cli/bin', bin), ...argv], { cwd: models, env: userEnv(['npm_lifecycle_event', 'INIT_CWD']), stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.on('exit', (code) => resolve({ code, stdout, stderr }))
      })
    const pkg = JSON.parse(readFileSync(path.join(root, 'apps/cli/package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(pkg.bin).toEqual({ elt: './bin/elt.mjs', models: './bin/models.mjs' })
    for (const bin of ['elt.mjs', 'models.mjs']) {
      const { code, stdout, stderr } = await viaBin(bin, ['ls', '--select', 'film_ratings'])
      expect(stderr, bin).toBe('')
      expect(code, bin).toBe(0)
      expect(stdout, bin).toContain('model.film_ratings  table         analytics.film_ratings')
    }
    // a --config relative to the folder it was typed in
    const named = await viaBin('elt.mjs', ['ls', '--config', '../../elt.config.ts', '--select', 'film_ratings'])
    expect(named.code, named.stderr).toBe(0)
    expect(named.stdout).toContain('analytics.film_ratings')
  })
})

/** The `workspace:` dependencies a package.json names. */
const workspaceDependencies = (manifest: string) =>
  Object.entries((JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {})
    .filter(([, version]) => version.startsWith('workspace:'))
    .map(([name]) => name)

describe("the compiled CLI's shared packages (a project module's import resolves to the CLI's own copy)", () => {
  it("maps each workspace package the CLI depends on, except the models project, to the build's bundle of it", async () => {
    expect((await compiledElt(['--help'])).code).toBe(0) // a fresh build
    const dir = path.join(root, 'apps/cli/dist', currentBuild())
    const hook = readFileSync(path.join(dir, 'resolve-hook.mjs'), 'utf8')
    const mapped = new Map(JSON.parse(/new Map\((\[.*?\])\.map/.exec(hook)![1]!) as [string, string][])
    const expected = workspaceDependencies(path.join(root, 'apps/cli/package.json')).filter((name) => name !== '@elt/models')
    expect(expected).toContain('@elt/documents')
    for (const name of expected) {
      expect(mapped.get(name), name).toBeDefined()
      expect(readFileSync(path.join(dir, mapped.get(name)!), 'utf8').length, name).toBeGreaterThan(0)
    }
    expect(mapped.has('@elt/models')).toBe(false)
  })

  it("are apps/cli's workspace dependencies, transitively, without the models project and what only it depends on", async () => {
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'elt-workspace-'))
    const manifests: Record<string, { name: string; dependencies?: Record<string, string> }> = {
      'apps/cli': { name: '@x/cli', dependencies: { '@x/new': 'workspace:*', '@x/models': 'workspace:*', tsx: '^4.0.0' } },
      'packages/new': { name: '@x/new', dependencies: { '@x/base': 'workspace:^', pg: '^8.0.0' } },
      'packages/base': { name: '@x/base' },
      'packages/models': { name: '@x/models', dependencies: { '@x/only-models': 'workspace:*' } },
      'packages/only-models': { name: '@x/only-models' },
      'packages/unused': { name: '@x/unused' },
    }
    try {
      for (const [dir, manifest] of Object.entries(manifests)) {
        await mkdir(path.join(workspace, dir), { recursive: true })
        await writeFile(path.join(workspace, dir, 'package.json'), JSON.stringify(manifest))
      }
      const { sharedPackagesOf } = (await import(pathToFileURL(path.join(root, 'scripts/build-cli.mjs')).href)) as { sharedPackagesOf: (workspaceRoot?: string) => string[] }
      expect(sharedPackagesOf(workspace)).toEqual(['@x/base', '@x/new'])
      expect(sharedPackagesOf()).toEqual(expect.arrayContaining(['@elt/config', '@elt/core', '@elt/documents', '@elt/extract-load', '@elt/runner']))
    } finally {
      await rm(workspace, { recursive: true, force: true })
    }
  })
})
