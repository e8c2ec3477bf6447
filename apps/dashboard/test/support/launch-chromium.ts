import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { access, constants, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createBrotliDecompress } from 'node:zlib'
import { chromium, type Browser } from 'playwright-core'
import { extract } from 'tar-fs'

/** The Chromium the browser tests drive, and where it came from (named in every launch error). */
export interface ChromiumExecutable {
  path: string
  /** `CHROMIUM_PATH`, `system` or `@sparticuz/chromium <version>`. */
  origin: string
  /** Extra environment for the browser process (the npm build's libraries and fonts). */
  env: Record<string, string>
}

/** Where a system Chromium usually is (Debian's `chromium`, Ubuntu's, Google's). */
export const systemChromiumPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome']

/**
 * Flags on top of Playwright's own. Not `@sparticuz/chromium`'s `args`: those are for AWS Lambda
 * (`--single-process`, `--no-zygote`, …) and crash the browser once a context closes.
 */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

/** Unpacked npm Chromium builds live here, one folder per package version. */
const cacheRoot = path.join(import.meta.dirname, '..', '..', 'node_modules', '.cache')

export interface FindChromiumOptions {
  env?: NodeJS.ProcessEnv
  systemPaths?: readonly string[]
}

/**
 * `CHROMIUM_PATH` when set (it must exist), else the first system Chromium found, else the
 * Chromium inside the `@sparticuz/chromium` package, unpacked once per version into
 * `apps/dashboard/node_modules/.cache/elt-chromium-<version>/` with the NSS/expat libraries
 * it ships for slim images (`LD_LIBRARY_PATH`) and its fonts (`FONTCONFIG_PATH`).
 *
 * ```ts
 * const { path, origin } = await findChromium() // '/usr/bin/chromium', 'system'
 * ```
 */
export async function findChromium(options: FindChromiumOptions = {}): Promise<ChromiumExecutable> {
  const env = options.env ?? process.env
  if (env.CHROMIUM_PATH) {
    const executable = env.CHROMIUM_PATH
    await access(executable, constants.X_OK).catch((error: unknown) => {
      throw new Error(`CHROMIUM_PATH=${executable} is not an executable file (${error instanceof Error ? error.message : String(error)}). Fix it or unset it to use the npm package @sparticuz/chromium.`)
    })
    return { path: executable, origin: 'CHROMIUM_PATH', env: {} }
  }
  for (const candidate of options.systemPaths ?? systemChromiumPaths) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return { path: candidate, origin: 'system', env: {} }
  }
  return unpackNpmChromium(env)
}

/**
 * Launches headless Chromium through playwright-core. Never skips: a browser that cannot start
 * is an error naming the executable, where it came from and the browser's own message.
 *
 * ```ts
 * const browser = await launchChromium()
 * const page = await browser.newPage()
 * ```
 */
export async function launchChromium(options: FindChromiumOptions = {}): Promise<Browser> {
  const executable = await findChromium(options)
  try {
    return await chromium.launch({
      executablePath: executable.path,
      args: chromiumArgs,
      env: { ...definedOnly(options.env ?? process.env), ...executable.env },
      timeout: 60_000,
    })
  } catch (error) {
    throw new Error(`Could not launch Chromium ${executable.path} (${executable.origin}): ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

const definedOnly = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))

async function unpackNpmChromium(env: NodeJS.ProcessEnv): Promise<ChromiumExecutable> {
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium') // <package>/build/index.js
  const packageDir = path.resolve(path.dirname(entry), '..')
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }
  const dir = path.join(cacheRoot, `elt-chromium-${version}`)
  const executable = path.join(dir, 'chromium')
  if (!existsSync(executable)) await unpackInto(path.join(packageDir, 'bin'), dir)
  const libraries = path.join(dir, 'lib')
  return {
    path: executable,
    origin: `@sparticuz/chromium ${version}`,
    env: {
      LD_LIBRARY_PATH: [libraries, ...(env.LD_LIBRARY_PATH ? [env.LD_LIBRARY_PATH] : [])].join(':'),
      FONTCONFIG_PATH: dir,
    },
  }
}

/**
 * Unpacks the package's brotli files into a private folder, then renames it to `dir`, so a
 * folder named `dir` is always complete (an interrupted unpack leaves only a `.partial-*` folder).
 */
async function unpackInto(binDir: string, dir: string): Promise<void> {
  const partial = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`
  await mkdir(partial, { recursive: true })
  try {
    const brotli = (file: string) => [createReadStream(path.join(binDir, file)), createBrotliDecompress()] as const
    await pipeline(...brotli('chromium.br'), createWriteStream(path.join(partial, 'chromium'), { mode: 0o755 }))
    // libGLESv2/libEGL next to the binary, lib/ (NSS, NSPR, expat), fonts/ + fonts.conf.
    for (const archive of ['swiftshader.tar.br', 'al2023.tar.br', 'fonts.tar.br']) await pipeline(...brotli(archive), extract(partial))
    // The bundled fonts.conf names Lambda's /tmp/fonts: point it at this folder's fonts instead.
    await writeFile(path.join(partial, 'fonts.conf'), fontConfig(dir))
    await rename(partial, dir)
  } catch (error) {
    await rm(partial, { recursive: true, force: true })
    if (existsSync(path.join(dir, 'chromium'))) return // another process unpacked it first
    throw new Error(`Could not unpack @sparticuz/chromium from ${binDir} into ${dir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

const fontConfig = (dir: string) => `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>${path.join(dir, 'fonts')}</dir>
  <dir>/usr/share/fonts</dir>
  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>
</fontconfig>
`
