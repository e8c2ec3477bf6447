import { EltError, ExitCode } from '@elt/core'

/** A PostgreSQL type name as written in DDL: words, optional `(p[, s])`, optional time zone clause, optional `[]`. */
const typePattern = /^[a-z_][a-z0-9_.]*(?: [a-z_][a-z0-9_]*)*(?: ?\( ?\d+ ?(?:, ?-?\d+ ?)?\))?(?: with(?:out)? time zone)?(?:\[\])*$/i

/**
 * Checks a column type declared in a CSV source's config before it goes into `CREATE TABLE`
 * (a type is DDL, not a value, so it cannot be a parameter): only type-name syntax passes.
 * Returns it with runs of spaces collapsed.
 *
 * ```ts
 * checkDeclaredType('amount', 'numeric(12, 2)') // 'numeric(12, 2)'
 * checkDeclaredType('amount', 'int); drop table x; --') // EltError (exit 2)
 * ```
 */
export function checkDeclaredType(column: string, type: string): string {
  const clean = type.trim().replace(/\s+/g, ' ')
  if (!typePattern.test(clean)) {
    throw new EltError(`CSV column "${column}" declares type ${JSON.stringify(type)}, which is not a PostgreSQL type name.`, {
      hint: "Write a type as in CREATE TABLE, e.g. 'integer', 'numeric(12,2)', 'timestamptz', 'text'.",
      exitCode: ExitCode.usage,
    })
  }
  return clean
}
