const truncateCache = new Map<string, string>()

/**
 * `text` cut to fit `max` CSS pixels in the context's current font, with an ellipsis
 * (`truncateText(ctx, 'analytics.film_ratings_by_month', 120)` → `'analytics.film_rat…'`); cached per width and text.
 */
export function truncateText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  const key = `${max}\u0000${text}`
  const cached = truncateCache.get(key)
  if (cached !== undefined) return cached
  let result = text
  if (ctx.measureText(text).width > max) {
    let low = 0
    let high = text.length
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (ctx.measureText(text.slice(0, mid) + '…').width <= max) low = mid
      else high = mid - 1
    }
    result = text.slice(0, low) + '…'
  }
  truncateCache.set(key, result)
  return result
}
