import { describe, expect, it } from 'vitest'
import { CopyRowCounter } from '../src/stage/copy-row-counter.ts'
import type { CopyFormat } from '../src/sources/source-reader.ts'

const csv = (escape = '"', header: 'match' | false = 'match'): CopyFormat => ({ kind: 'csv', header, delimiter: ',', quote: '"', escape, encoding: 'UTF8', null: '' })

/** Counts rows of every chunking of `text` (each split point), so a quote or escape cut between chunks counts too. */
function countAllSplits(format: CopyFormat, text: string): number[] {
  const bytes = Buffer.from(text)
  const counts = new Set<number>()
  for (let cut = 0; cut <= bytes.length; cut++) {
    const counter = new CopyRowCounter(format)
    counter.push(bytes.subarray(0, cut))
    counter.push(bytes.subarray(cut))
    counts.add(counter.rows)
  }
  return [...counts]
}

describe('CopyRowCounter', () => {
  it('CSV: newlines and doubled quotes inside quotes are not row ends; the header is not a row', () => {
    expect(countAllSplits(csv(), 'id,note\n1,"a\nb"\n2,"say ""hi""\n, ok"\n3,\n')).toEqual([3])
  })
  it('CSV with a backslash escape: an escaped quote does not close the field', () => {
    expect(countAllSplits(csv('\\'), 'id,note\n1,"a \\" still\n quoted"\n2,x\n')).toEqual([2])
  })
  it('a last row without a newline counts; an empty stream or a header alone has no rows', () => {
    expect(countAllSplits(csv('"', false), '1,a\n2,b')).toEqual([2])
    expect(countAllSplits(csv(), 'id,note\n')).toEqual([0])
    expect(countAllSplits(csv(), '')).toEqual([0])
  })
  it('CSV with CR or CR LF line ends (PostgreSQL reads both): a CR LF is one record end, quoted ones are data', () => {
    expect(countAllSplits(csv(), 'id,note\r1,"a\rb"\r2,x\r3,"c\r\nd"')).toEqual([3])
    expect(countAllSplits(csv(), 'id,note\r\n1,"a\r\nb"\r\n2,x\r\n')).toEqual([2])
  })
  it('COPY text: one row per newline (newlines in values are escaped)', () => {
    expect(countAllSplits({ kind: 'text' }, '1\ta\\nb\n2\t\\N\n')).toEqual([2])
  })
})
