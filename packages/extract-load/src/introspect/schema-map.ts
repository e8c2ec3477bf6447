/**
 * Where a source schema lands: `public` → `raw`, any other `s` → `raw_s`
 * (user-defined types and sequences follow their schema the same way).
 */
export function mapSchema(sourceSchema: string, targetSchema: string): string {
  return sourceSchema === 'public' ? targetSchema : `${targetSchema}_${sourceSchema}`
}
