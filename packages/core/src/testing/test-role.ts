import { randomBytes } from 'node:crypto'
import { runAdmin } from './test-database.ts'

/** A login role on the test server (roles are server-wide: the name is random), dropped by `drop()`. */
export interface TestRole {
  name: string
  /** `databaseUrl` with this role's name and password in place of the admin's. */
  urlFor(databaseUrl: string): string
  /** Drops the role; drop the databases it has privileges in first. */
  drop(): Promise<void>
}

/**
 * Creates `<prefix>_<random>` with a password.
 *
 * ```ts
 * const reader = await createTestRole(inject('pgAdminUrl'), 'bi_reader')
 * const client = new pg.Client({ connectionString: reader.urlFor(db.url) })
 * ```
 */
export async function createTestRole(adminUrl: string, prefix: string): Promise<TestRole> {
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`
  const password = randomBytes(12).toString('hex')
  await runAdmin(adminUrl, `create role "${name}" login password '${password}'`)
  return {
    name,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl)
      url.username = name
      url.password = password
      return url.toString()
    },
    drop: () => runAdmin(adminUrl, `drop role if exists "${name}"`),
  }
}
