import net from 'node:net'

export interface StallingProxy {
  /** `of` (a server URL) through the proxy. */
  url(of: string): string
  /** Stops moving bytes on the connections made so far, or on the `newest` of them (no reset, no close: the peers keep waiting); later connections work. */
  cut(options?: { newest?: number }): void
  /** Refuses new connections (the connections made so far stay as they are). */
  close(): void
  destroy(): void
}

/** A TCP proxy in front of a server whose connections can be cut the way a network or a proxy stalls. */
export async function stallingProxy(serverUrl: string): Promise<StallingProxy> {
  const target = new URL(serverUrl)
  const live: [net.Socket, net.Socket][] = []
  const all: net.Socket[] = []
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname)
    client.pipe(upstream).pipe(client)
    client.on('error', () => {})
    upstream.on('error', () => {})
    live.push([client, upstream])
    all.push(client, upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const port = String((proxy.address() as net.AddressInfo).port)
  return {
    url: (of) => Object.assign(new URL(of), { port }).toString(),
    cut: (options = {}) => {
      const cut = options.newest === undefined ? live.splice(0) : live.splice(-options.newest)
      for (const socket of cut.flat()) {
        socket.unpipe()
        socket.pause()
      }
    },
    close: () => void proxy.close(),
    destroy: () => {
      for (const socket of all) socket.destroy()
      proxy.close()
    },
  }
}
