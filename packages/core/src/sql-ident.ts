/**
 * Quotes an identifier for SQL, always: `quoteIdent('Film "X"')` → `"Film ""X"""`.
 * Every schema, table and column name the tool puts into SQL goes through here (or Kysely's own quoting).
 */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL character')
  return '"' + name.replace(/"/g, '""') + '"'
}

/** `qualifiedName('raw', 'films')` → `"raw"."films"` */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}
