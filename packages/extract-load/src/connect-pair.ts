import type pg from 'pg'

/**
 * Opens two clients at once; if either fails, the other is closed (a leaked client would
 * keep the process alive) and the first error is thrown.
 */
export async function connectPair(open: [() => Promise<pg.Client>, () => Promise<pg.Client>]): Promise<[pg.Client, pg.Client]> {
  const [a, b] = await Promise.allSettled([open[0](), open[1]()])
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value]
  for (const r of [a, b]) if (r.status === 'fulfilled') await r.value.end().catch(() => {})
  throw (a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason) as unknown
}
