import type pg from 'pg'

/** A cursor table's high-water mark: the cursor column values of the newest row copied, as text (`null`: the table was empty). */
export interface TableMark {
  sourceName: string
  sourceTable: string
  targetTable: string
  strategy: string
  cursorColumns: string[]
  mark: string[] | null
  runId: string
}

/**
 * The mark of a source table, or undefined when none was recorded (first run, after
 * `--full-refresh` of a `full` table, or a table whose strategy changed).
 *
 * ```sql
 * select … from _elt.table_marks where source_name = $1 and source_table = $2
 * ```
 */
export async function readTableMark(client: pg.ClientBase, sourceName: string, sourceTable: string): Promise<TableMark | undefined> {
  const { rows } = await client.query<TableMark>(
    `select source_name as "sourceName", source_table as "sourceTable", target_table as "targetTable", strategy,
            cursor_columns as "cursorColumns", mark, run_id::text as "runId"
       from _elt.table_marks where source_name = $1 and source_table = $2`,
    [sourceName, sourceTable],
  )
  return rows[0]
}

/**
 * Records (or replaces) a table's mark, in the caller's transaction: the one that writes the data it marks.
 *
 * ```sql
 * insert into _elt.table_marks (…) values (…) on conflict (source_name, source_table) do update set …
 * ```
 */
export async function saveTableMark(client: pg.ClientBase, mark: TableMark): Promise<void> {
  await client.query(
    `insert into _elt.table_marks (source_name, source_table, target_table, strategy, cursor_columns, mark, run_id)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7)
     on conflict (source_name, source_table) do update set target_table = excluded.target_table, strategy = excluded.strategy,
       cursor_columns = excluded.cursor_columns, mark = excluded.mark, run_id = excluded.run_id, updated_at = clock_timestamp()`,
    [mark.sourceName, mark.sourceTable, mark.targetTable, mark.strategy, mark.cursorColumns, JSON.stringify(mark.mark), mark.runId],
  )
}

/** Forgets a table's mark (a `full` copy replaced the table: a later cursor run starts with a full copy). */
export async function dropTableMark(client: pg.ClientBase, sourceName: string, sourceTable: string): Promise<void> {
  await client.query('delete from _elt.table_marks where source_name = $1 and source_table = $2', [sourceName, sourceTable])
}
