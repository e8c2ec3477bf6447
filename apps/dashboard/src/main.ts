#!/usr/bin/env node
/**
 * `pnpm dashboard [--port 3000] [--host 127.0.0.1] [--project .] [--manifest target/manifest.json] [--demo]`
 *
 * Serves the dashboard over the project's manifest and the destination's `_elt` history.
 * The environment is read here and in `parseDashboardOptions` only, then passed down.
 */
import { createLogger, describeError, exitCodeOf, ExitCode, passwordOf, readEnvironment, resolveDatabases } from '@elt/core'
import { parseDashboardOptions, usage } from './dashboard-options.ts'
import type { DashboardSource } from './data/dashboard-source.ts'
import { generatedSource } from './data/generated-source.ts'
import { warehouseSource } from './data/warehouse-source.ts'
import { selectNodes } from './lineage/select-nodes.ts'
import { startDashboardServer } from './server/create-server.ts'

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const secrets = [passwordOf(env.DESTINATION_DATABASE_URL ?? ''), passwordOf(env.SOURCE_DATABASE_URL ?? ''), env.DASHBOARD_TOKEN]
  const logger = createLogger({ secrets })
  let release = async () => {}
  try {
    const options = parseDashboardOptions(argv, env, process.cwd())
    if (options.help) {
      process.stdout.write(usage + '\n')
      return ExitCode.success
    }
    let source: DashboardSource
    if (options.demo) source = generatedSource()
    else {
      const databases = await resolveDatabases(readEnvironment(env), { projectDir: options.projectDir, logger })
      secrets.push(passwordOf(databases.destination.url))
      release = () => databases.release()
      source = warehouseSource({ destinationUrl: databases.destination.url, manifestPath: options.manifestPath })
    }
    const dashboard = await startDashboardServer({
      source,
      select: selectNodes,
      logger,
      host: options.host,
      port: options.port,
      trigger: { token: options.token, cwd: options.projectDir },
    })
    logger.info(`Dashboard at ${dashboard.url}${options.demo ? ' (generated demo project)' : ''}${options.token ? '; POST /api/runs enabled' : ''}. Ctrl-C stops it.`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await dashboard.close()
    await source.close()
    return ExitCode.success
  } catch (error) {
    logger.error(describeError(error))
    return exitCodeOf(error)
  } finally {
    await release()
  }
}

process.exitCode = await main(process.argv.slice(2), process.env)
