import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { spawnElt } from './replicate-helpers.ts'

/** `url` with its query replaced by `query`. */
function withQuery(url: string, query: string): string {
  const u = new URL(url)
  u.search = query
  return u.toString()
}

let source: TestDatabase
let destination: TestDatabase
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'sslcli_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'sslcli_dst')
  await source.query('create table films (id int primary key, title text); insert into films values (1, $$Alien$$), (2, $$Heat$$)')
})
afterAll(async () => {
  await source?.drop()
  await destination?.drop()
})

/** `elt replicate` as a real process (a fresh driver, so a warning it would print once per process shows). */
async function replicate(sourceQuery: string) {
  const run = spawnElt(['replicate'], { SOURCE_DATABASE_URL: withQuery(source.url, sourceQuery), DESTINATION_DATABASE_URL: withQuery(destination.url, 'sslmode=prefer') })
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 90_000)
  const ended = await run.exited
  clearTimeout(timer)
  return { code: ended.code, stderr: run.stderr() }
}

describe('sslmode in the URLs of `elt replicate`, against a server without SSL', () => {
  it('works with sslmode=disable (and prefer) and prints no warning', async () => {
    const { code, stderr } = await replicate('sslmode=disable')
    expect(code, stderr).toBe(0)
    expect(stderr).toMatch(/public\.films → raw\.films {2}2 rows/)
    expect(stderr).not.toMatch(/warning/i)
    expect((await destination.query<{ title: string }>('select title from raw.films order by id')).map((r) => r.title)).toEqual(['Alien', 'Heat'])
  }, 120_000)

  it('fails sslmode=require with one clear line, exit 1, no password, no warning', async () => {
    const { code, stderr } = await replicate('sslmode=require')
    expect(code).toBe(1)
    const lines = stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^error: The source server at 127\.0\.0\.1:\d+\/t_sslcli_src_\w+ does not accept SSL connections, and the URL asks for sslmode=require\. Use sslmode=prefer or sslmode=disable for a server without SSL, or turn ssl on in its postgresql\.conf\. Check SOURCE_DATABASE_URL\.$/,
    )
    expect(stderr).not.toContain(new URL(source.url).password)
  }, 120_000)
})
