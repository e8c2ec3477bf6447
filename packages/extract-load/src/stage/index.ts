/**
 * The stage: `extract` writes a day of every source to `<stage.dir>/<source>/<table>/<date>/`,
 * `load` reads a complete day back through the stage reader into the shared writer.
 */
export { extract, type ExtractOptions, type ExtractEvent, type ExtractSummary, type ExtractedTable } from './extract-day.ts'
export { checkStagedDay, type StagedSourceDay, type WantedSource } from './check-staged-day.ts'
export { resolveStagedTables } from './resolve-staged-tables.ts'
export { stageReader, type StageReaderConfig } from './stage-reader.ts'
export { stageDate, todayIn, addDays } from './stage-date.ts'
export { requireStage, type StageRunConfig, type StageSourceConfig } from './stage-config.ts'
export { parseStageSelectors, selectedSources, type StageSelector } from './stage-selection.ts'
export { migrateStageState } from './stage-state.ts'
export { stagePaths } from './stage-paths.ts'
export { load, stagedDayFor, type LoadOptions, type LoadSummary } from './load-day.ts'
