import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { TestDatabase } from '@elt/core/testing'

const run = promisify(execFile)

/**
 * What the replication does not copy (README.md, "Not copied"), removed from both dumps before they
 * are compared. Grants, comments, owners and tablespaces are left out by pg_dump's own flags.
 */
export const notCopied: { what: string; pattern: RegExp }[] = [
  { what: 'views and materialized views', pattern: /^CREATE (OR REPLACE )?(MATERIALIZED )?VIEW / },
  { what: 'functions, procedures and aggregates', pattern: /^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE|AGGREGATE) / },
  { what: 'triggers', pattern: /^CREATE (CONSTRAINT )?TRIGGER / },
  { what: 'row-level security policies', pattern: /^(CREATE POLICY |ALTER TABLE (ONLY )?\S+ (ENABLE|FORCE) ROW LEVEL SECURITY$)/ },
  { what: 'rules', pattern: /^CREATE (OR REPLACE )?RULE / },
]

/** The pg_dump of the server's major version: `PG_DUMP`, the Debian/Ubuntu path, or `pg_dump` on the PATH if it is recent enough. */
export async function findPgDump(major: number): Promise<string> {
  const candidates = [process.env.PG_DUMP, `/usr/lib/postgresql/${major}/bin/pg_dump`, 'pg_dump'].filter((c): c is string => Boolean(c))
  for (const candidate of candidates) {
    if (candidate.includes('/')) {
      const found = await access(candidate, constants.X_OK).then(() => true, () => false)
      if (!found) continue
    }
    const version = await run(candidate, ['--version']).then((r) => r.stdout, () => '')
    const m = /\(PostgreSQL\) (\d+)/.exec(version)
    if (m && Number(m[1]) >= major) return candidate
  }
  throw new Error(
    `pg_dump for PostgreSQL ${major} was not found (looked at ${candidates.join(', ')}): the schema fidelity test needs it. ` +
      `Install the client (Debian/Ubuntu: apt-get install postgresql-client-${major}) or set PG_DUMP to the path of a pg_dump ${major} or newer.`,
  )
}

/**
 * Splits a plain-format dump into statements: `;` at the end of a line, outside quotes, quoted
 * identifiers, dollar-quoted bodies and `--` comments; psql meta-commands (`\restrict …`) dropped.
 */
export function splitStatements(dump: string): string[] {
  const statements: string[] = []
  let current = ''
  let i = 0
  const flush = () => {
    const text = current.trim()
    if (text !== '') statements.push(text)
    current = ''
  }
  while (i < dump.length) {
    const ch = dump[i] as string
    const lineStart = i === 0 || dump[i - 1] === '\n'
    if (lineStart && current.trim() === '' && ch === '\\') {
      i = dump.indexOf('\n', i) < 0 ? dump.length : dump.indexOf('\n', i) + 1
      continue
    }
    if (ch === '-' && dump[i + 1] === '-') {
      i = dump.indexOf('\n', i) < 0 ? dump.length : dump.indexOf('\n', i) + 1
      current += '\n'
      continue
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1
      while (j < dump.length && !(dump[j] === ch && dump[j + 1] !== ch)) j += dump[j] === ch ? 2 : 1
      current += dump.slice(i, j + 1)
      i = j + 1
      continue
    }
    const tag = ch === '$' ? /^\$[A-Za-z_]*\$/.exec(dump.slice(i, i + 64))?.[0] : undefined
    if (tag) {
      const end = dump.indexOf(tag, i + tag.length)
      const stop = end < 0 ? dump.length : end + tag.length
      current += dump.slice(i, stop)
      i = stop
      continue
    }
    if (ch === ';') {
      flush()
      i++
      continue
    }
    current += ch
    i++
  }
  flush()
  return statements
}

/** `pg_dump --schema-only` of one schema as a sorted list of statements, without what {@link notCopied} lists. */
export async function dumpSchema(db: TestDatabase, schema: string): Promise<string[]> {
  const major = (await db.query<{ major: number }>(`select current_setting('server_version_num')::int / 10000 as major`))[0]?.major ?? 0
  const pgDump = await findPgDump(major)
  const { stdout } = await run(
    pgDump,
    ['--schema-only', '--no-owner', '--no-privileges', '--no-comments', '--no-tablespaces', '--schema', schema, '--dbname', db.url],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  )
  return splitStatements(stdout)
    .filter((s) => !notCopied.some((n) => n.pattern.test(s)))
    .sort()
}
