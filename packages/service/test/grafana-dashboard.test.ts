import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { ServiceMetrics } from '../src/service-metrics.ts'

describe('the Grafana dashboard', () => {
  it('queries only metrics the service exports (or prom-client process metrics)', async () => {
    const dashboard = JSON.parse(await readFile(new URL('../grafana/elt-dashboard.json', import.meta.url), 'utf8')) as { panels: { targets: { expr: string }[] }[] }
    const exported = new Set((await new ServiceMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name))
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(elt|process)_[a-z_]+/g) ?? [])))
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '')
      if (!name.startsWith('process_')) expect(exported, name).toContain(base)
    }
    expect([...exported].filter((n) => ![...used].some((u) => u.startsWith(n)))).toEqual([])
  })
})
