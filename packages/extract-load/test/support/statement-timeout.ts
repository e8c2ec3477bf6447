import pg from 'pg'
import { sleep } from '@elt/core'
import { replicatePair, type Pair } from '../helpers.ts'

/**
 * Replicates `big` and `small` (fresh, one job) with `side`'s statement_timeout at 1 s while a
 * lock on the source's `big`, taken when the run starts preparing, holds its COPY back for 2.5 s:
 * that side's COPY of `big` outlives its timeout every time. Returns what the run threw
 * (`undefined` if it did not); the timeout is reset and the lock released either way.
 *
 * ```ts
 * const error = await replicatePastStatementTimeout(pair, 'destination')
 * // describeError(error) → "Loading public.big into raw.big was cancelled by the destination's statement_timeout (1s). …"
 * ```
 */
export async function replicatePastStatementTimeout(pair: Pair, side: 'source' | 'destination'): Promise<unknown> {
  const holder = new pg.Client({ connectionString: pair.source.url })
  holder.on('error', () => {}) // terminated when the test database is dropped after a failure
  await holder.connect()
  await holder.query('begin')
  const database = pair[side]
  await database.query(`alter database ${database.name} set statement_timeout = '1s'`)
  let locking: Promise<unknown> | undefined
  try {
    const error = await replicatePair(pair, {
      include: ['big', 'small'],
      jobs: 1,
      fresh: true,
      onEvent: (e) => {
        if (e.type === 'step-started' && e.step === 'prepare') {
          locking ??= holder.query('lock table big in access exclusive mode').then(() => sleep(2500)).then(() => holder.query('rollback'))
        }
      },
    }).then(() => undefined, (e: unknown) => e)
    await locking
    return error
  } finally {
    await holder.end()
    await database.query(`alter database ${database.name} reset statement_timeout`)
  }
}
