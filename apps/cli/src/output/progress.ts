import type { CliIo } from '../io.ts'

/**
 * Live per-item progress on stderr. On a TTY the active items are redrawn in
 * place (at most every 100 ms); otherwise each `start` and `done` is one plain line
 * and `update` prints nothing, so logs stay readable in CI.
 */
export interface Progress {
  start(key: string, text: string): void
  update(key: string, text: string): void
  done(key: string, text: string): void
  /** A line that stays (warnings, notes) printed above the live block. */
  log(text: string): void
  stop(): void
}

/** Progress lines are redrawn in place (a terminal, not CI, not `TERM=dumb`); otherwise plain lines. */
export const isLiveTerminal = (io: CliIo): boolean => io.stderr.isTTY === true && io.env.CI !== 'true' && io.env.TERM !== 'dumb'

export function createProgress(io: CliIo): Progress {
  const tty = isLiveTerminal(io)
  if (!tty) {
    return {
      start: (_key, text) => void io.stderr.write(text + '\n'),
      update() {},
      done: (_key, text) => void io.stderr.write(text + '\n'),
      log: (text) => void io.stderr.write(text + '\n'),
      stop() {},
    }
  }
  const active = new Map<string, string>()
  let drawn = 0
  let timer: NodeJS.Timeout | undefined
  const width = () => Math.max(20, (io.stderr.columns ?? 100) - 1)
  const clear = () => {
    if (drawn > 0) io.stderr.write(`\x1b[${drawn}A\x1b[0J`)
    drawn = 0
  }
  const draw = () => {
    timer = undefined
    clear()
    const lines = [...active.values()].map((l) => (l.length > width() ? l.slice(0, width() - 1) + '…' : l))
    if (lines.length) io.stderr.write(lines.join('\n') + '\n')
    drawn = lines.length
  }
  const schedule = () => {
    timer ??= setTimeout(draw, 100)
  }
  const above = (text: string) => {
    clear()
    io.stderr.write(text + '\n')
    draw()
  }
  return {
    start(key, text) {
      active.set(key, text)
      schedule()
    },
    update(key, text) {
      active.set(key, text)
      schedule()
    },
    done(key, text) {
      active.delete(key)
      above(text)
    },
    log: above,
    stop() {
      if (timer) clearTimeout(timer)
      timer = undefined
      clear()
      active.clear()
    },
  }
}
