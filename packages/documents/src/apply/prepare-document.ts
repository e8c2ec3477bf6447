import { EJSON } from 'bson'
import type { CellValue, DocumentMapping, TableMapping } from '../mapping/define-document-mapping.ts'
import type { SourceDocument } from '../readers/document-reader.ts'
import { cellCheck, copyText } from './copy-text.ts'

/** A document turned into COPY text per table (its rows' lines, the ordinal last on each), or rejected with its reasons. */
export type PreparedDocument =
  | { ok: true; lines: Map<string, string> }
  | { ok: false; reasons: string[]; documentId: string | null; businessKey: string | null; json: string }

/**
 * Validates one document with the mapping's rules, then maps it to rows and checks every row fits
 * its table (NOT NULL, lengths, numeric ranges, one row per primary key): anything wrong rejects
 * the whole document with readable reasons, so that no statement of its batch can fail on it.
 *
 * ```ts
 * prepareDocument(ccb_contracts, document, 17)
 * // { ok: true, lines: Map { 'clientes' => '52998224725\tMaria …\t17', 'parcelas' => 'CCB-2024-000123\t1\t…\t17\nCCB-2024-000123\t2\t…', … } }
 * ```
 */
export function prepareDocument(mapping: DocumentMapping<unknown>, document: SourceDocument, ordinal: number): PreparedDocument {
  let reasons: string[]
  try {
    reasons = mapping.validate(document)
  } catch (error) {
    reasons = [`the validator failed: ${error instanceof Error ? error.message : String(error)}`]
  }
  const lines = new Map<string, string>()
  if (reasons.length === 0) {
    try {
      for (const { name, table, columns, key } of planOf(mapping)) {
        const keys = new Set<string>()
        const out: string[] = []
        for (const row of table.rows(document)) {
          const cells = new Array<string>(columns.length + 1)
          for (let c = 0; c < columns.length; c++) {
            const column = columns[c]!
            const value = row[column.name]
            const problem = column.check(value)
            if (problem) reasons.push(`${name}.${column.name} ${problem}`)
            cells[c] = copyText(value, column.type)
          }
          cells[columns.length] = String(ordinal)
          const rowKey = key.map((k) => copyText(row[k.name], k.type)).join('\t')
          if (keys.has(rowKey)) reasons.push(`${name}: two rows with the key (${rowKey.replace(/\t/g, ', ')})`)
          keys.add(rowKey)
          // joined, not `line += cell`: a flat string, where `+=` leaves a tree of one heap object per cell
          // (a one-row table's tree would live in the batch, as out.join returns a lone element as it is)
          out.push(cells.join('\t'))
        }
        // one flat string per table and document: the row strings die young instead of living in the batch
        if (out.length > 0) lines.set(name, out.join('\n'))
      }
    } catch (error) {
      reasons.push(`could not be mapped to rows: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  if (reasons.length === 0) return { ok: true, lines }
  const safe = <T>(f: () => T): T | null => {
    try {
      return f()
    } catch {
      return null
    }
  }
  return {
    ok: false,
    reasons,
    documentId: safe(() => mapping.documentId(document)),
    businessKey: safe(() => mapping.businessKey(document)),
    json: safe(() => EJSON.stringify(document, { relaxed: true })) ?? JSON.stringify({ unserializable: String(document) }),
  }
}

interface PlannedColumn {
  name: string
  type: string
  check: (value: CellValue | undefined) => string | undefined
}

const plans = new WeakMap<DocumentMapping<unknown>, { name: string; table: TableMapping<unknown>; columns: PlannedColumn[]; key: PlannedColumn[] }[]>()

/** The mapping's tables with each column's check compiled once (not per document). */
function planOf(mapping: DocumentMapping<unknown>) {
  let plan = plans.get(mapping)
  if (!plan) {
    plan = Object.entries(mapping.tables).map(([name, table]) => {
      const columns = Object.entries(table.columns).map(([column, def]) => ({ name: column, type: def.type, check: cellCheck(def) }))
      return { name, table, columns, key: table.primaryKey.map((k) => columns.find((c) => c.name === k)!) }
    })
    plans.set(mapping, plan)
  }
  return plan
}
