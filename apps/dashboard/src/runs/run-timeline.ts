import type { RunDetail, RunStep } from '../data/dashboard-source.ts'

export interface TimelineStep extends RunStep {
  /** Row of the Gantt chart: the recorded worker, else the first free lane. */
  lane: number
  /** Milliseconds since the run's first step started. */
  offsetMs: number
  critical: boolean
}

/** The body of `GET /api/runs/:id`: the run, its bars, the critical path and the slowest steps. */
export interface RunTimeline extends Omit<RunDetail, 'steps'> {
  steps: TimelineStep[]
  lanes: number
  spanMs: number
  /** Step names along the chain of waits that ended last, first to last. */
  criticalPath: string[]
  slowest: { name: string; kind: RunStep['kind']; seconds: number; status: RunStep['status'] }[]
}

/**
 * Lays a run's steps out as a Gantt chart and finds its critical path: from the step that
 * finished last, repeatedly step back to the parent (by `parentsOf`) that finished last.
 *
 * ```ts
 * runTimeline(run, (nodeId) => graph.parents.get(nodeId) ?? [])
 * // → { steps: [{ name: 'films', lane: 0, offsetMs: 0, critical: true }, …], criticalPath: ['films', 'stg_films', 'film_ratings'] }
 * ```
 */
export function runTimeline(run: RunDetail, parentsOf: (nodeId: string) => readonly string[], slowestCount = 10): RunTimeline {
  const bars = run.steps.filter((step) => step.kind !== 'test')
  const time = (iso: string) => Date.parse(iso)
  const sorted = [...bars].sort((a, b) => time(a.startedAt) - time(b.startedAt) || a.name.localeCompare(b.name))
  const origin = sorted.length > 0 ? time(sorted[0]!.startedAt) : time(run.startedAt)
  const lanes = assignLanes(sorted)

  const byNode = new Map<string, RunStep>()
  for (const step of sorted) if (step.nodeId) byNode.set(step.nodeId, step)
  const critical = new Set<RunStep>()
  let current = sorted.reduce<RunStep | undefined>((last, step) => (!last || time(step.finishedAt) > time(last.finishedAt) ? step : last), undefined)
  while (current && !critical.has(current)) {
    critical.add(current)
    let next: RunStep | undefined
    for (const step of upstreamSteps(current.nodeId, byNode, parentsOf)) {
      if (time(step.finishedAt) <= time(current.startedAt) + 1 && (!next || time(step.finishedAt) > time(next.finishedAt))) next = step
    }
    current = next
  }

  const steps = sorted.map((step, i): TimelineStep => ({ ...step, lane: lanes[i]!, offsetMs: time(step.startedAt) - origin, critical: critical.has(step) }))
  const end = sorted.reduce((max, step) => Math.max(max, time(step.finishedAt)), origin)
  return {
    ...run,
    steps,
    lanes: steps.reduce((max, step) => Math.max(max, step.lane + 1), 0),
    spanMs: end - origin,
    criticalPath: sorted.filter((step) => critical.has(step)).sort((a, b) => time(a.startedAt) - time(b.startedAt)).map((step) => step.name),
    slowest: [...bars]
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, slowestCount)
      .map(({ name, kind, seconds, status }) => ({ name, kind, seconds, status })),
  }
}

/** The nearest steps upstream of a node: its parents' steps, looking through parents without one (ephemeral models). */
function upstreamSteps(nodeId: string | undefined, byNode: Map<string, RunStep>, parentsOf: (nodeId: string) => readonly string[]): RunStep[] {
  const found: RunStep[] = []
  const seen = new Set<string>()
  const visit = (id: string) => {
    for (const parent of parentsOf(id)) {
      if (seen.has(parent)) continue
      seen.add(parent)
      const step = byNode.get(parent)
      if (step) found.push(step)
      else visit(parent)
    }
  }
  if (nodeId) visit(nodeId)
  return found
}

/** The recorded worker when every step has one, else greedy lanes: each bar in the first lane free at its start. */
function assignLanes(sorted: RunStep[]): number[] {
  if (sorted.length > 0 && sorted.every((step) => step.worker !== undefined)) {
    const workers = [...new Set(sorted.map((step) => step.worker!))].sort((a, b) => a - b)
    return sorted.map((step) => workers.indexOf(step.worker!))
  }
  const laneEnds: number[] = []
  return sorted.map((step) => {
    const start = Date.parse(step.startedAt)
    let lane = laneEnds.findIndex((end) => end <= start)
    if (lane === -1) lane = laneEnds.push(0) - 1
    laneEnds[lane] = Date.parse(step.finishedAt)
    return lane
  })
}
