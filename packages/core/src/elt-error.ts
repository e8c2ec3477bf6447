/** Exit codes shared by every command: 0 success, 1 a run failed, 2 bad usage or configuration. */
export const ExitCode = { success: 0, failure: 1, usage: 2 } as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * An error meant for a person: `message` says what failed, `hint` what to do.
 * Commands print `message` + `hint` as one paragraph and exit with `exitCode`.
 *
 * ```ts
 * throw new EltError('Unknown table "public.flims" in config include.', {
 *   hint: 'Check the name with `\\dt public.*` on the source, or remove it from elt.config.ts.',
 *   exitCode: ExitCode.usage,
 * })
 * ```
 */
export class EltError extends Error {
  readonly hint: string | undefined
  readonly exitCode: ExitCode

  constructor(message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'EltError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? ExitCode.failure
  }
}

/** The one-paragraph text a person sees for any error (hint included when known). */
export function describeError(error: unknown): string {
  if (error instanceof EltError) return error.hint ? `${error.message} ${error.hint}` : error.message
  if (error instanceof Error) return error.message
  return String(error)
}

export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof EltError ? error.exitCode : ExitCode.failure
}
