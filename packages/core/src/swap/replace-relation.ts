import type pg from 'pg'
import { qualifiedName } from '../sql-ident.ts'
import { dropDependentViews, readDependentViews, recreateDependentViews } from './dependent-views.ts'
import { withLockWait, type LockWaitPolicy } from './lock-wait.ts'
import { applyRelationAttributes, readPartitionAttributes, readRelationAttributes, relationKeyword } from './relation-attributes.ts'

export interface ReplaceRelationOptions {
  schema: string
  name: string
  /** Puts the new relation in place as `schema.name` once the old one is dropped: renames a shadow table, creates a view, … */
  install: () => Promise<void>
  /**
   * Drop the old relation with `CASCADE`, so non-view dependents (other tables' foreign keys) go with it.
   * Default false: such a dependent makes the replacement fail.
   */
  cascade?: boolean
  /** How long to wait for sessions using the old relation or its views (default `defaultLockWaitPolicy`). */
  lockWait?: Partial<LockWaitPolicy>
  /**
   * Runs inside the bounded lock wait just before the old relation is dropped (not when it does not exist):
   * saves what the drop would take. Returns the other relations the drop locks (`schema.name` as
   * `format('%I.%I')` spells it), so that sessions using them are named when they block it.
   */
  beforeDrop?: () => Promise<readonly string[]>
}

/**
 * Replaces `schema.name` by a new relation inside the caller's transaction (readers see the old one
 * until commit, then the new one), and carries over what a plain drop would lose: the owner, grants
 * (column grants too), comments and row-level security policies of the relation and of its
 * partitions (to the new partitions of the same name), and every view and materialized view built on it
 * (recreated with their options, indexes, owner, grants and comments). The step waits for locks with
 * `withLockWait`: a bounded wait that names the sessions in the way. When the old relation does not
 * exist, it only runs `install`.
 *
 * ```sql
 * SAVEPOINT elt_lock_wait; SET LOCAL lock_timeout = 1000;
 * DROP VIEW "analytics"."active_users";                                        -- dependents, children first
 * DROP TABLE "raw"."users";
 * ALTER TABLE "raw"."elt_new_3f2a9c01d4" RENAME TO "users";                   -- install()
 * GRANT SELECT ON TABLE "raw"."users" TO "bi_reader"; COMMENT ON TABLE "raw"."users" IS '…';
 * CREATE VIEW "analytics"."active_users" WITH ("security_barrier" = 'true') AS SELECT …;
 * GRANT SELECT ON TABLE "analytics"."active_users" TO "bi_reader";
 * RELEASE SAVEPOINT elt_lock_wait;
 * ```
 */
export async function replaceRelation(client: pg.ClientBase, options: ReplaceRelationOptions): Promise<{ viewsRecreated: number }> {
  const relation = qualifiedName(options.schema, options.name)
  let involved = [relation]
  return withLockWait(client, { what: `replace ${relation}`, relations: () => involved, policy: options.lockWait }, async () => {
    const saved = await readRelationAttributes(client, relation)
    if (saved === undefined) {
      await options.install()
      return { viewsRecreated: 0 }
    }
    const partitions = await readPartitionAttributes(client, relation)
    const views = await readDependentViews(client, relation)
    involved = [relation, ...views.map((v) => qualifiedName(v.schema, v.name))]
    if (options.beforeDrop) involved = [...involved, ...(await options.beforeDrop())]
    await dropDependentViews(client, views)
    await client.query(`DROP ${relationKeyword(saved.kind)} ${relation}${options.cascade ? ' CASCADE' : ''}`)
    await options.install()
    await applyRelationAttributes(client, relation, saved)
    for (const p of partitions) await applyRelationAttributes(client, p.name, p.attributes) // those of the same name
    await recreateDependentViews(client, views, relation)
    return { viewsRecreated: views.length }
  })
}
