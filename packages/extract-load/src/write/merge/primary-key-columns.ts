import type { TableDef } from '../../introspect/catalog.ts'

/**
 * The columns of a table's primary key, from its constraint definition, or undefined without one.
 *
 * ```ts
 * primaryKeyColumns(table) // PRIMARY KEY (order_id, "Line No") → ['order_id', 'Line No']
 * ```
 */
export function primaryKeyColumns(table: Pick<TableDef, 'constraints'>): string[] | undefined {
  const pk = table.constraints.find((c) => c.kind === 'p')
  if (!pk) return undefined
  const inner = /^PRIMARY KEY \((.*)\)/s.exec(pk.definition)?.[1]
  return inner === undefined ? undefined : splitIdentifiers(inner)
}

/** `a, "B c", "d""e"` → `['a', 'B c', 'd"e']` (unquoted names as PostgreSQL prints them: already lower case). */
function splitIdentifiers(list: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < list.length) {
    while (list[i] === ' ' || list[i] === ',') i++
    if (i >= list.length) break
    if (list[i] === '"') {
      let name = ''
      i++
      while (i < list.length) {
        if (list[i] === '"' && list[i + 1] === '"') {
          name += '"'
          i += 2
        } else if (list[i] === '"') {
          i++
          break
        } else name += list[i++]
      }
      out.push(name)
    } else {
      const end = list.indexOf(',', i)
      out.push(list.slice(i, end < 0 ? undefined : end).trim())
      i = end < 0 ? list.length : end
    }
  }
  return out
}
