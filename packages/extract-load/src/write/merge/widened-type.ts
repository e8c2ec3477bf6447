/**
 * Whether a column of type `from` (as `format_type` prints it) can become `to` without losing or
 * changing a value: a larger integer, a longer or unbounded varchar, text, more numeric precision
 * with the same scale, double from real.
 *
 * ```ts
 * isWidening('character varying(20)', 'character varying(50)') // true
 * isWidening('integer', 'bigint')                              // true
 * isWidening('bigint', 'integer')                              // false: narrowed
 * isWidening('numeric(10,2)', 'numeric(12,2)')                 // true
 * ```
 */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true
  const ints = ['smallint', 'integer', 'bigint']
  if (ints.includes(from)) return (ints.includes(to) && ints.indexOf(to) > ints.indexOf(from)) || to === 'numeric' || numericOf(to) !== undefined && numericOf(to)!.precision - numericOf(to)!.scale >= 19
  if (from === 'real') return to === 'double precision'
  const varchar = /^character varying(?:\((\d+)\))?$/
  const fromVarchar = varchar.exec(from)
  if (fromVarchar) {
    if (to === 'text') return true
    const toVarchar = varchar.exec(to)
    if (!toVarchar) return false
    if (toVarchar[1] === undefined) return true
    return fromVarchar[1] !== undefined && Number(toVarchar[1]) >= Number(fromVarchar[1])
  }
  const fromNumeric = numericOf(from)
  if (fromNumeric) {
    if (to === 'numeric') return true
    const toNumeric = numericOf(to)
    return toNumeric !== undefined && toNumeric.scale === fromNumeric.scale && toNumeric.precision >= fromNumeric.precision
  }
  return false
}

function numericOf(type: string): { precision: number; scale: number } | undefined {
  const m = /^numeric\((\d+),(\d+)\)$/.exec(type)
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined
}
