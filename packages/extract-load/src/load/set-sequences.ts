import type pg from 'pg'
import { qualifiedName } from '@elt/core'
import type { SequenceDef, TableDef } from '../introspect/catalog.ts'
import type { SequenceValue } from '../sources/source-reader.ts'

/**
 * Sets every replicated sequence (serial/default sequences and identity columns) to the value
 * the source's reader read after the data was copied (`values`, keyed by the source's `schema.name`).
 *
 * ```sql
 * select setval($1::regclass, $2, $3)                                   -- '"raw"."films_film_id_seq"', '120', true
 * select setval(pg_get_serial_sequence($1, $2)::regclass, $3, $4)       -- identity columns
 * ```
 */
export async function setSequences(
  destination: pg.ClientBase,
  plan: { tables: readonly TableDef[]; sequences: readonly SequenceDef[] },
  values: ReadonlyMap<string, SequenceValue>,
): Promise<number> {
  let count = 0
  for (const s of plan.sequences) {
    const v = values.get(`${s.schema}.${s.name}`)
    if (!v) continue
    await destination.query('select setval($1::regclass, $2::int8, $3)', [qualifiedName(s.targetSchema, s.name), v.value, v.called])
    count++
  }
  for (const t of plan.tables) {
    for (const c of t.columns) {
      if (c.identity === null || c.identitySequenceName === null) continue
      const v = values.get(`${c.identitySequenceName.schema}.${c.identitySequenceName.name}`)
      if (!v) continue
      await destination.query('select setval(pg_get_serial_sequence($1, $2)::regclass, $3::int8, $4)', [qualifiedName(t.targetSchema, t.name), c.name, v.value, v.called])
      count++
    }
  }
  return count
}
