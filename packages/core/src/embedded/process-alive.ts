/**
 * Whether a process with this pid exists on this machine (signal 0 delivers nothing; EPERM
 * means it exists but belongs to another user).
 *
 * ```ts
 * isProcessAlive(process.pid) // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
