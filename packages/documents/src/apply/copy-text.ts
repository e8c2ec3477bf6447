import type { CellValue, ColumnDef } from '../mapping/define-document-mapping.ts'

/**
 * One value in COPY text format for a column of `type`: `\N` for null, a `date` column's Date as
 * its UTC day, other Dates as ISO instants, text with `\\`, tab, newline and CR escaped.
 *
 * ```ts
 * copyText(new Date('2024-03-05T12:00:00Z'), 'date') // '2024-03-05'
 * copyText('a\tb', 'text')                           // 'a\\tb'
 * ```
 */
export function copyText(value: CellValue | undefined, type: string): string {
  if (value === null || value === undefined) return '\\N'
  if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString()
  if (typeof value === 'boolean') return value ? 't' : 'f'
  if (typeof value !== 'string') return String(value)
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value
}

/**
 * Why a value does not fit its column, checked before it reaches PostgreSQL so that one bad
 * document is rejected instead of failing its batch: a missing value in a NOT NULL column, text
 * longer than `char(n)`/`varchar(n)`, a number too large for `numeric(p,s)` or `int`, not a
 * number in a numeric column, an invalid Date. The returned check gives `undefined` when it fits.
 *
 * ```ts
 * cellCheck({ type: 'char(2)' })('SPX') // '"SPX" is longer than 2 characters'
 * ```
 */
export function cellCheck(def: ColumnDef): (value: CellValue | undefined) => string | undefined {
  const type = def.type.toLowerCase()
  const length = /^(?:char|character|varchar|character varying)\((\d+)\)$/.exec(type)
  const numeric = /^(?:numeric|decimal)(?:\((\d+)(?:,\s*(\d+))?\))?$/.exec(type)
  const integer = /^(?:int|integer|int4|smallint|int2|bigint|int8)$/.test(type)
  const maxInteger = type.includes('small') || type === 'int2' ? 32767 : type.includes('big') || type === 'int8' ? Number.MAX_SAFE_INTEGER : 2147483647
  const maxLength = length ? Number(length[1]) : undefined
  const limit = numeric?.[1] ? 10 ** (Number(numeric[1]) - Number(numeric[2] ?? 0)) : undefined
  return (value) => {
    if (value === null || value === undefined) return def.notNull ? 'is missing' : undefined
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'is not a valid date' : undefined
    if (maxLength !== undefined && String(value).length > maxLength) return `${JSON.stringify(String(value))} is longer than ${maxLength} characters`
    if (!numeric && !integer) return undefined
    const text = String(value)
    if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return `${JSON.stringify(text)} is not a number`
    const number = Number(text)
    if (integer) return Number.isInteger(number) && Math.abs(number) <= maxInteger ? undefined : `${text} is not a whole number within ${def.type}`
    if (limit !== undefined && Math.abs(number) >= limit) return `${text} does not fit ${def.type}`
    return undefined
  }
}
