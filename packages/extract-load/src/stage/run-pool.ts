/**
 * Runs `work` on the items, at most `jobs` at a time, each worker with its own resource
 * (`open`/`close`: a reader's per-worker connection). After the first failure no new item
 * starts; the running ones finish, then the first error is thrown.
 *
 * ```ts
 * await runPool(tables, 4, () => session.worker(), (r) => r.close(), (reader, table) => writeTable(reader, table))
 * ```
 */
export async function runPool<T, R>(
  items: readonly T[],
  jobs: number,
  open: () => Promise<R>,
  close: (resource: R) => Promise<void>,
  work: (resource: R, item: T, worker: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const queue = [...items]
  let failure: { error: unknown } | undefined
  const worker = async (id: number) => {
    let resource: R | undefined
    try {
      for (let item = queue.shift(); item !== undefined && failure === undefined; item = queue.shift()) {
        if (signal?.aborted) throw signal.reason
        resource ??= await open()
        await work(resource, item, id)
      }
    } catch (error) {
      failure ??= { error }
    } finally {
      if (resource !== undefined) await close(resource).catch(() => {})
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, (_, i) => worker(i + 1)))
  if (failure) throw failure.error
}
