import type pg from 'pg'
import { EltError } from '../elt-error.ts'
import { qualifiedName, quoteIdent } from '../sql-ident.ts'
import { withSearchPath } from './with-search-path.ts'

/** One privilege of one role on a relation or a column; `grantee` null means PUBLIC. */
export interface Privilege {
  grantee: string | null
  privilege: string
  grantable: boolean
}

/** A row-level security policy, its expressions as `pg_get_expr` gives them. */
export interface Policy {
  name: string
  permissive: boolean
  /** `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL. */
  command: string
  /** `null`: PUBLIC. */
  roles: (string | null)[]
  using: string | null
  check: string | null
}

/**
 * What a person set on a relation that a drop-and-rename swap would lose: its owner, its ACL
 * (`null`: never granted or revoked, so the owner's defaults apply), its comment, per column
 * its comment and column-level ACL, and its row-level security (carried with the grants: a
 * grant without the policies that limit it would show every row).
 */
export interface RelationAttributes {
  /** `pg_class.relkind`: `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table. */
  kind: string
  owner: string
  acl: Privilege[] | null
  comment: string | null
  columns: { name: string; comment: string | null; acl: Privilege[] }[]
  rowSecurity: boolean
  forceRowSecurity: boolean
  policies: Policy[]
}

const privilegesJson = (acl: string) =>
  `(select coalesce(json_agg(json_build_object('grantee', case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end,
                                              'privilege', x.privilege_type, 'grantable', x.is_grantable) order by x.n), '[]')
      from aclexplode(${acl}) with ordinality as x(grantor, grantee, privilege_type, is_grantable, n))`

/** The `RelationAttributes` of the `pg_class` row aliased `c`, as one JSON value (used by several catalog reads). */
export const relationAttributesJson = `json_build_object(
  'kind', c.relkind,
  'owner', pg_get_userbyid(c.relowner),
  'acl', case when c.relacl is not null then ${privilegesJson('c.relacl')} end,
  'comment', obj_description(c.oid, 'pg_class'),
  'columns', (select coalesce(json_agg(json_build_object('name', a.attname, 'comment', col_description(c.oid, a.attnum),
                                                         'acl', ${privilegesJson('a.attacl')}) order by a.attnum), '[]')
                from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
  'rowSecurity', c.relrowsecurity,
  'forceRowSecurity', c.relforcerowsecurity,
  'policies', (select coalesce(json_agg(json_build_object('name', p.polname, 'permissive', p.polpermissive, 'command', p.polcmd,
                                                          'roles', (select json_agg(case when r = 0 then null else pg_get_userbyid(r) end) from unnest(p.polroles) r),
                                                          'using', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid))
                                        order by p.polname), '[]')
                 from pg_policy p where p.polrelid = c.oid))`

/**
 * The owner, ACL, comments and row-level security of a relation (`"raw"."films"`); undefined when it
 * does not exist. Policy expressions are read with an empty `search_path` (names qualified): call it
 * inside a transaction.
 */
export async function readRelationAttributes(client: pg.ClientBase, relation: string): Promise<RelationAttributes | undefined> {
  const { rows } = await withSearchPath(client, '', () =>
    client.query<{ attributes: RelationAttributes }>(`select ${relationAttributesJson} as attributes from pg_class c where c.oid = to_regclass($1)`, [relation]),
  )
  return rows[0]?.attributes
}

/**
 * The attributes of each partition of `relation` (every level), by qualified name, parents first.
 *
 * ```sql
 * select n.nspname, c.relname, json_build_object('owner', …) from pg_partition_tree('"raw"."payment"') t join pg_class c on c.oid = t.relid … where t.level > 0
 * ```
 */
export async function readPartitionAttributes(client: pg.ClientBase, relation: string): Promise<{ name: string; attributes: RelationAttributes }[]> {
  const { rows } = await withSearchPath(client, '', () =>
    client.query<{ schema: string; name: string; attributes: RelationAttributes }>(
      `select n.nspname as schema, c.relname as name, ${relationAttributesJson} as attributes
         from pg_partition_tree(to_regclass($1)) t join pg_class c on c.oid = t.relid join pg_namespace n on n.oid = c.relnamespace
        where t.level > 0 order by t.level, c.relname`,
      [relation],
    ),
  )
  return rows.map((r) => ({ name: qualifiedName(r.schema, r.name), attributes: r.attributes }))
}

const keyword: Record<string, string> = { v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE' }

/** `TABLE`, `VIEW`, `MATERIALIZED VIEW` or `FOREIGN TABLE`: the word `ALTER`, `DROP` and `COMMENT ON` need for a relkind. */
export const relationKeyword = (kind: string): string => keyword[kind] ?? 'TABLE'

/** `GRANT` statements reproducing `privileges` in their order (one per grantee and grant option, as `aclitem`s are kept). */
function grantStatements(privileges: readonly Privilege[], on: string, column?: string): string[] {
  const groups = new Map<string, { grantee: string | null; grantable: boolean; privileges: string[] }>()
  for (const p of privileges) {
    const key = `${p.grantee ?? ''}\u0000${p.grantable}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { grantee: p.grantee, grantable: p.grantable, privileges: [] }))
    group.privileges.push(column === undefined ? p.privilege : `${p.privilege} (${quoteIdent(column)})`)
  }
  return [...groups.values()].map(
    (g) => `GRANT ${g.privileges.join(', ')} ON TABLE ${on} TO ${g.grantee === null ? 'PUBLIC' : quoteIdent(g.grantee)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
  )
}

const commands: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' }

/** `CREATE POLICY "own_rows" ON "raw"."users" AS PERMISSIVE FOR SELECT TO "bi_reader" USING ((owner = CURRENT_USER))` */
function createPolicy(policy: Policy, on: string): string {
  const roles = policy.roles.map((r) => (r === null ? 'PUBLIC' : quoteIdent(r))).join(', ')
  return `CREATE POLICY ${quoteIdent(policy.name)} ON ${on} AS ${policy.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${commands[policy.command] ?? 'ALL'} TO ${roles}${
    policy.using === null ? '' : ` USING (${policy.using})`
  }${policy.check === null ? '' : ` WITH CHECK (${policy.check})`}`
}

const grantees = (privileges: readonly Privilege[] | null) => (privileges ?? []).map((p) => (p.grantee === null ? 'PUBLIC' : quoteIdent(p.grantee)))

/**
 * Gives `relation` (just created, e.g. swapped in) the saved owner, ACL and comments of the relation it
 * replaces. Column attributes go to the columns of the same name that still exist; a comment the new
 * relation already has is kept. The grantor of each privilege becomes the owner (as when the owner grants).
 * Does nothing when `relation` does not exist (a partition the new version no longer has).
 *
 * ```sql
 * ALTER TABLE "raw"."users" OWNER TO "raw_owner";
 * REVOKE ALL ON TABLE "raw"."users" FROM PUBLIC, "raw_owner";
 * GRANT INSERT, SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE "raw"."users" TO "raw_owner";
 * GRANT SELECT ON TABLE "raw"."users" TO "bi_reader";
 * GRANT SELECT ("email") ON TABLE "raw"."users" TO "auditor";
 * COMMENT ON TABLE "raw"."users" IS 'People who signed up';
 * COMMENT ON COLUMN "raw"."users"."email" IS 'PII';
 * ALTER TABLE "raw"."users" ENABLE ROW LEVEL SECURITY;
 * CREATE POLICY "no_staff" ON "raw"."users" AS PERMISSIVE FOR SELECT TO "bi_reader" USING ((NOT is_staff));
 * ```
 *
 * A policy that no longer fits (it uses a column the new relation lacks) fails with an `EltError`.
 */
export async function applyRelationAttributes(client: pg.ClientBase, relation: string, saved: RelationAttributes): Promise<void> {
  const current = await readRelationAttributes(client, relation)
  if (current === undefined) return
  const kind = relationKeyword(current.kind)
  const statements: string[] = []
  if (current.owner !== saved.owner) statements.push(`ALTER ${kind} ${relation} OWNER TO ${quoteIdent(saved.owner)}`)
  if (saved.acl !== null) {
    const holders = new Set(['PUBLIC', quoteIdent(saved.owner), quoteIdent(current.owner), ...grantees(current.acl)])
    statements.push(`REVOKE ALL ON TABLE ${relation} FROM ${[...holders].join(', ')}`, ...grantStatements(saved.acl, relation))
  }
  if (saved.comment !== null && current.comment === null) statements.push(`COMMENT ON ${kind} ${relation} IS ${client.escapeLiteral(saved.comment)}`)
  const columns = new Map(current.columns.map((c) => [c.name, c]))
  for (const column of saved.columns) {
    const now = columns.get(column.name)
    if (now === undefined) continue
    const name = `${relation}.${quoteIdent(column.name)}`
    if (now.acl.length > 0) statements.push(`REVOKE ALL (${quoteIdent(column.name)}) ON TABLE ${relation} FROM ${[...new Set(grantees(now.acl))].join(', ')}`)
    statements.push(...grantStatements(column.acl, relation, column.name))
    if (column.comment !== null && now.comment === null) statements.push(`COMMENT ON COLUMN ${name} IS ${client.escapeLiteral(column.comment)}`)
  }
  if (saved.rowSecurity && !current.rowSecurity) statements.push(`ALTER TABLE ${relation} ENABLE ROW LEVEL SECURITY`)
  if (saved.forceRowSecurity && !current.forceRowSecurity) statements.push(`ALTER TABLE ${relation} FORCE ROW LEVEL SECURITY`)
  if (statements.length > 0) await client.query(statements.join(';\n'))
  for (const policy of saved.policies) {
    if (current.policies.some((p) => p.name === policy.name)) continue
    await client.query(createPolicy(policy, relation)).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error)
      throw new EltError(`Could not replace ${relation}: its row-level security policy ${quoteIdent(policy.name)} does not fit the new version (${reason}).`, {
        hint: `Nothing was changed: the previous ${relation} is still in place. Drop the policy or change it to fit the new columns of ${relation}, then rerun.`,
        cause: error,
      })
    })
  }
}
