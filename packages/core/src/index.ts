export { EltError, ExitCode, describeError, exitCodeOf } from './elt-error.ts'
export { redactUrl, redactSecrets, passwordOf } from './redact.ts'
export { createLogger, silentLogger, type Logger, type LogLevel } from './logger.ts'
export { withRetry, sleep, defaultRetryPolicy, type RetryPolicy } from './retry.ts'
export { classifyPgError, isServerFailure, isTransientPgError, type PgFailure } from './pg-errors.ts'
export { combinedFailure, endsTheRun } from './run-failures.ts'
export { partialResultOf, withPartialResult } from './partial-result.ts'
export {
  connectClient,
  negotiateClientConfig,
  waitForDatabase,
  connectionFailureOf,
  connectionError,
  describeTarget,
  assertValidUrl,
  type DatabaseTarget,
  type ConnectOptions,
} from './connect.ts'
export { backendPid } from './pg-internals.ts'
export { backendActivity, cancelBackends, endBackend, sessionOf, type BackendActivity, type BackendRef, type BackendSession } from './backend-activity.ts'
export { watchForStall, watchedStep, watchedClientStep, withWatchedClient, watchedEnds, stallReason, defaultStallSeconds, type StallWatch, type StallWatchOptions, type WatchedEnd } from './stall-watch.ts'
export { sslSettings, sslModes, type SslMode, type SslSettings } from './ssl-mode.ts'
export { readEnvironment, type EltEnvironment } from './environment.ts'
export { startEmbeddedServer, embeddedDataDir, freePort, sharedBuffersMb, type EmbeddedServer, type EmbeddedServerOptions } from './embedded/embedded-server.ts'
export { runningPostmaster } from './embedded/postmaster.ts'
export { resolveDatabases, embeddedDatabaseNames, type Databases, type ResolveOptions } from './embedded/resolve-databases.ts'
export { migrate, stateSchema } from './state/migrate.ts'
export { migrateCore, startRun, finishRun, markAbandonedRuns, setRunOrigin, type RunStatus } from './state/runs.ts'
export { holdRunLock, releaseRunLock, runAliveSql, effectiveRunStatusSql, markAbandoned } from './state/run-liveness.ts'
export {
  lockTarget,
  readTargetLockHolder,
  describeTargetLockHolder,
  type TargetLockHolder,
  type TargetLockOptions,
} from './state/target-lock.ts'
export { quoteIdent, qualifiedName } from './sql-ident.ts'
export { globMatcher, isGlob } from './glob.ts'
export { replaceRelation, type ReplaceRelationOptions } from './swap/replace-relation.ts'
export { withLockWait, lockHolders, describeLockHolder, defaultLockWaitPolicy, type LockWaitPolicy, type LockHolder } from './swap/lock-wait.ts'
export { readDependentViews, dropDependentViews, recreateDependentViews, type DependentView } from './swap/dependent-views.ts'
export { readRelationAttributes, readPartitionAttributes, applyRelationAttributes, relationKeyword, type RelationAttributes, type Privilege, type Policy } from './swap/relation-attributes.ts'
export { importModule, setTypeScriptLoader } from './import-module.ts'
export { seededRandom } from './seeded-random.ts'
