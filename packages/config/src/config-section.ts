import { z } from 'zod'
import { closestName } from './closest-name.ts'

/**
 * An object of settings in which every key is known: any other key is an error
 * (`replicat: unknown key (did you mean "replicate"?)`). `expected` describes the object
 * for the message when something else is given (`replicate: expected …, got "yes"`).
 *
 * An `unrecognized_keys` issue's message holds one line per key of `issue.keys`, in order;
 * `formatConfigIssues` pairs them up and prefixes each with the key's path.
 *
 * ```ts
 * const targets = configSection({ schema: z.string() }, 'a target such as { schema: "analytics" }')
 * ```
 */
export function configSection<Shape extends z.core.$ZodLooseShape>(shape: Shape, expected: string) {
  const known = Object.keys(shape)
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return expected
      return issue.keys.map((key) => unknownKeyMessage(key, known)).join('\n')
    },
  })
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = closestName(key, known)
  return near ? `unknown key (did you mean "${near}"?)` : `unknown key (known keys: ${known.join(', ')})`
}
