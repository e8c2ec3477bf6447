import { lineagePage } from './lineage-page.ts'
import { runPage, runsPage } from './runs-page.ts'
import { testsPage } from './tests-page.ts'
import { leaveSchedulesPage, schedulesPage } from './schedules-page.ts'
import './metrics.ts'

/** Client-side routes: `/` lineage, `/tests`, `/runs`, `/runs/:id`, `/schedules`. Same-origin links navigate without a reload. */
async function route(): Promise<void> {
  const root = document.getElementById('app')!
  const path = location.pathname
  const section = path.startsWith('/tests') ? 'tests' : path.startsWith('/runs') ? 'runs' : path.startsWith('/schedules') ? 'schedules' : 'lineage'
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) link.classList.toggle('active', link.dataset.nav === section)
  document.body.dataset.page = section
  const run = /^\/runs\/([^/]+)$/.exec(path)
  if (section !== 'schedules') leaveSchedulesPage()
  if (section === 'schedules') await schedulesPage(root)
  else if (run) await runPage(root, decodeURIComponent(run[1]!))
  else if (section === 'runs') await runsPage(root)
  else if (section === 'tests') await testsPage(root)
  else await lineagePage(root)
  document.body.dataset.ready = path + location.search
}

document.addEventListener('click', (event) => {
  const link = (event.target as HTMLElement).closest('a')
  if (!link || link.target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return
  const url = new URL(link.href, location.href)
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return
  event.preventDefault()
  history.pushState(null, '', url.pathname + url.search + url.hash)
  void route()
})
window.addEventListener('popstate', () => void route())
void route()
