import type { GraphCanvas } from './graph-canvas.ts'

/**
 * Timings the UI records about itself, exposed as `window.__dashboard` so the browser tests can
 * read them (and a person can, from the console).
 */
export const metrics: {
  renders: number
  lastRender?: { nodes: number; edges: number; fetchMs: number; totalMs: number }
  searchMs: number[]
  /** The last column highlight: from the click to the frame showing it, and what it showed. */
  lastColumnHighlight?: { node: string; column: string; columns: number; edges: number; fetchMs: number; totalMs: number }
  columnHighlights: number
  canvas?: GraphCanvas
} = { renders: 0, searchMs: [], columnHighlights: 0 }

declare global {
  interface Window {
    __dashboard: typeof metrics
  }
}
window.__dashboard = metrics
