import { z } from 'zod'

/** A PostgreSQL name as written: quoted when used, so any text of 1 to 63 bytes. */
export const schemaName = (expected: string) =>
  z.string({ error: expected }).refine((name) => name.length > 0 && Buffer.byteLength(name) <= 63, { error: expected })

export const nonEmptyText = (expected: string) => z.string({ error: expected }).min(1, { error: expected })

/** A whole number ≥ `min`. */
export const wholeNumber = (min: number) => z.int({ error: `a whole number ≥ ${min}` }).min(min, { error: `a whole number ≥ ${min}` })

/** A number of seconds > 0 (fractions allowed). */
export const seconds = z.number({ error: 'a number of seconds > 0' }).positive({ error: 'a number of seconds > 0' })

export const tablePatterns = z.array(nonEmptyText('a table pattern such as "films", "public.film_*" or "sales.*"'), {
  error: 'a list of table patterns such as ["films", "public.film_*"]',
})

/** An http:// or https:// URL (webhooks, the OpenLineage collector). */
export const httpUrl = z.string({ error: 'an http(s):// URL' }).refine((url) => {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol)
  } catch {
    return false
  }
}, { error: 'an http(s):// URL' })
