import { startEmbeddedServer } from '@elt/core'
const s = await startEmbeddedServer({ dir: '/tmp/elt-scratch-pg' })
console.log(s.urlFor('postgres'))
process.on('SIGTERM', async () => { await s.stop(); process.exit(0) })
await new Promise(() => {})
