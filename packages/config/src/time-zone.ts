import { z } from 'zod'

/** Whether `name` is an IANA time zone this runtime knows (`UTC`, `America/Sao_Paulo`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/** An IANA time zone name, checked against the runtime's zone database. */
export const timeZone = z.string({ error: 'an IANA time zone such as "UTC" or "America/Sao_Paulo"' }).refine(isTimeZone, {
  error: 'an IANA time zone such as "UTC" or "America/Sao_Paulo"',
})
