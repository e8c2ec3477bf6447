import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { EltError, ExitCode } from './elt-error.ts'

/** libpq's SSL modes, from least to most protected. */
export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof sslModes)[number]

/** How to connect to a URL: its mode, the URL without its SSL parameters, and the `ssl` settings of pg to try in order. */
export interface SslSettings {
  mode: SslMode
  /** The URL without `sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `ssl`: pg never sees (nor warns about) them. */
  connectionString: string
  /** `false` = unencrypted; `prefer` and `allow` have two, tried in order. */
  attempts: (false | ConnectionOptions)[]
}

/** URL parameters handled here and removed before pg parses the URL. */
const sslParameters = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat']

/**
 * Reads `sslmode` (libpq's meaning) from a database URL and turns it into explicit TLS settings
 * for pg, so the driver's own parsing (and its multi-line security warning) never runs:
 * - `disable`: never encrypted; `allow`: unencrypted, encrypted if the server insists;
 * - `prefer` (the default, as in libpq): encrypted if the server supports it, else unencrypted;
 * - `require`: encrypted, the certificate not checked (checked against `sslrootcert` when given);
 * - `verify-ca`: encrypted, the certificate signed by the CA in `sslrootcert` (required);
 * - `verify-full`: as `verify-ca`, and the certificate names the host; without `sslrootcert`
 *   (or with `sslrootcert=system`) against the system's CAs.
 * `sslcert` / `sslkey` add a client certificate. pg's own `ssl=true` means `verify-full`, `ssl=false` `disable`.
 *
 * ```ts
 * sslSettings('postgres://app@db:5432/src?sslmode=require', 'SOURCE_DATABASE_URL')
 * // { mode: 'require', connectionString: 'postgres://app@db:5432/src', attempts: [{ rejectUnauthorized: false }] }
 * ```
 */
export function sslSettings(url: string, origin = 'the database URL'): SslSettings {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { mode: 'prefer', connectionString: url, attempts: [{ rejectUnauthorized: false }, false] } // assertValidUrl reports it
  }
  const param = (name: string) => parsed.searchParams.get(name) ?? undefined
  const mode = modeOf(param('sslmode'), param('ssl'), origin)
  const file = (name: 'sslrootcert' | 'sslcert' | 'sslkey') => {
    const value = param(name)
    if (value === undefined || (name === 'sslrootcert' && value === 'system')) return undefined
    try {
      return readFileSync(value, 'utf8')
    } catch (error) {
      throw new EltError(`Cannot read ${name}=${value} from ${origin}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {
        hint: `Point ${name} at a readable PEM file.`,
        exitCode: ExitCode.usage,
      })
    }
  }
  const ca = file('sslrootcert')
  const client = { ...(param('sslcert') ? { cert: file('sslcert') } : {}), ...(param('sslkey') ? { key: file('sslkey') } : {}) }
  if (mode === 'verify-ca' && ca === undefined) {
    throw new EltError(`sslmode=verify-ca in ${origin} needs sslrootcert=<file of the CA certificate> to check the server's certificate against.`, {
      hint: 'Add sslrootcert=/path/to/root.crt, or use sslmode=verify-full to check against the system CAs.',
      exitCode: ExitCode.usage,
    })
  }
  const unverified: ConnectionOptions = { ...client, rejectUnauthorized: false }
  // Chain checked against the CA, host name not (libpq's verify-ca; `require` with a root certificate too).
  const chainOnly: ConnectionOptions = { ...client, ca, rejectUnauthorized: true, checkServerIdentity: () => undefined }
  const full: ConnectionOptions = { ...client, ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true }
  const attempts: Record<SslMode, (false | ConnectionOptions)[]> = {
    disable: [false],
    allow: [false, unverified],
    prefer: [unverified, false],
    require: [ca === undefined ? unverified : chainOnly],
    'verify-ca': [chainOnly],
    'verify-full': [full],
  }
  for (const name of sslParameters) parsed.searchParams.delete(name)
  return { mode, connectionString: parsed.toString(), attempts: attempts[mode] }
}

function modeOf(sslmode: string | undefined, ssl: string | undefined, origin: string): SslMode {
  if (sslmode !== undefined) {
    if ((sslModes as readonly string[]).includes(sslmode)) return sslmode as SslMode
    throw new EltError(`Unknown sslmode=${sslmode} in ${origin}.`, { hint: `Use one of ${sslModes.join(', ')}.`, exitCode: ExitCode.usage })
  }
  if (ssl === 'true' || ssl === '1') return 'verify-full'
  if (ssl === 'false' || ssl === '0') return 'disable'
  return 'prefer'
}
