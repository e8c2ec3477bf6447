/**
 * Splits JSON text arriving in chunks into its top-level documents without parsing the whole:
 * JSON Lines (values one after another) or one JSON array of objects (`[{…}, {…}]`), as
 * `mongoexport` writes with and without `--jsonArray`. Yields each object's text and the line it
 * starts on; the caller parses it (`EJSON.parse`). Only the current object is held in memory.
 *
 * ```ts
 * for await (const { text, line } of jsonValues(createReadStream('x.json', 'utf8'))) EJSON.parse(text)
 * ```
 */
export async function* jsonValues(chunks: AsyncIterable<string>, label: string): AsyncGenerator<{ text: string; line: number }> {
  let mode: 'start' | 'lines' | 'array' | 'ended' = 'start'
  let depth = 0
  let inString = false
  let escaped = false
  let partial = ''
  let line = 1
  let valueLine = 1
  let expectComma = false
  const unexpected = (char: string) => new Error(`${label}:${line}: unexpected ${JSON.stringify(char)} between documents (expected JSON Lines of objects or one JSON array of objects)`)
  for await (const chunk of chunks) {
    let start = depth > 0 ? 0 : -1
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i)
      if (code === 10) line++
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false
          else if (code === 92) escaped = true
          else if (code === 34) inString = false
        } else if (code === 34) inString = true
        else if (code === 123 || code === 91) depth++
        else if (code === 125 || code === 93) {
          depth--
          if (depth === 0) {
            yield { text: partial + chunk.slice(start, i + 1), line: valueLine }
            partial = ''
            start = -1
            expectComma = mode === 'array'
          }
        }
        continue
      }
      if (code === 32 || code === 10 || code === 13 || code === 9) continue
      if (mode === 'start' && code === 91) {
        mode = 'array'
        continue
      }
      if (mode === 'start') mode = 'lines'
      if (mode === 'array' && expectComma) {
        if (code === 44) expectComma = false
        else if (code === 93) mode = 'ended'
        else throw unexpected(chunk[i]!)
        continue
      }
      if (mode === 'array' && code === 93) {
        mode = 'ended'
        continue
      }
      if (code !== 123 || mode === 'ended') throw unexpected(chunk[i]!)
      depth = 1
      start = i
      valueLine = line
    }
    if (depth > 0) partial += chunk.slice(start)
  }
  if (depth > 0) throw new Error(`${label}:${valueLine}: the document starting here is cut off at the end of the file`)
  if (mode === 'array') throw new Error(`${label}:${line}: the JSON array is not closed (a truncated export?)`)
}
