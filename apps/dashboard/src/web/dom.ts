/** A tiny element builder: `h('a', { href: '/tests', class: 'link' }, 'Tests')`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined | ((event: Event) => void)> = {},
  ...children: (Node | string | number | undefined | null | false)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) element.setAttribute(name, '')
    else element.setAttribute(name, String(value))
  }
  append(element, ...children)
  return element
}

/** Appends children, skipping empty ones (`false`, `undefined`, `null`). */
export function append(parent: Node, ...children: (Node | string | number | undefined | null | false)[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Builds an SVG element (the Gantt chart and run sparklines). */
export function svg(tag: string, attributes: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElement {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  for (const child of children) element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  return element
}

/** `0.25` → `250 ms`, `4.2` → `4.20 s`, `150` → `2 min 30 s`. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–'
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
}

/** An ISO time as `2026-11-22 06:00:00 UTC`. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '–'
  const date = new Date(iso)
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)} UTC`
}

/** A coloured pill for a run, build or test status (`never` when there is none). */
export function statusChip(status: string | undefined): HTMLElement {
  return h('span', { class: `chip status-${status ?? 'none'}` }, status ?? 'never')
}
