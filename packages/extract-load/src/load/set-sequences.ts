import type pg from 'pg'
import { qualifiedName } from '@elt/core'
import type { SequenceDef, TableDef } from '../introspect/catalog.ts'

async function currentValue(source: pg.ClientBase, schema: string, name: string): Promise<{ value: string; called: boolean }> {
  const { rows } = await source.query<{ value: string; called: boolean }>(`select last_value::text as value, is_called as called from ${qualifiedName(schema, name)}`)
  return rows[0] as { value: string; called: boolean }
}

/**
 * Sets every replicated sequence (serial/default sequences and identity columns) to the
 * source's current value, read after the data was copied.
 *
 * ```sql
 * -- source:      select last_value, is_called from "public"."films_film_id_seq"
 * -- destination: select setval($1::regclass, $2, $3)                                   -- '"raw"."films_film_id_seq"', '120', true
 * --              select setval(pg_get_serial_sequence($1, $2)::regclass, $3, $4)       -- identity columns
 * ```
 */
export async function setSequences(
  source: pg.ClientBase,
  destination: pg.ClientBase,
  plan: { tables: readonly TableDef[]; sequences: readonly SequenceDef[] },
): Promise<number> {
  let count = 0
  for (const s of plan.sequences) {
    const v = await currentValue(source, s.schema, s.name)
    await destination.query('select setval($1::regclass, $2::int8, $3)', [qualifiedName(s.targetSchema, s.name), v.value, v.called])
    count++
  }
  for (const t of plan.tables) {
    for (const c of t.columns) {
      if (c.identity === null || c.identitySequenceName === null) continue
      const v = await currentValue(source, c.identitySequenceName.schema, c.identitySequenceName.name)
      await destination.query('select setval(pg_get_serial_sequence($1, $2)::regclass, $3::int8, $4)', [
        qualifiedName(t.targetSchema, t.name),
        c.name,
        v.value,
        v.called,
      ])
      count++
    }
  }
  return count
}
