/**
 * The steps of a load run (`loadSources`, `replicate`), in order (as pgcopydb names them). One
 * list, reused for progress events, timing and the docs:
 * - `introspect`: every source's reader discovers its tables (PostgreSQL: the catalog inside the
 *   exported snapshot; CSV: the files, their dialect and column types);
 * - `prepare`: target schemas, user-defined types, sequences, cleanup of a killed run;
 * - `copy`: per table of every source, largest first, in parallel: shadow table, COPY of each part, primary key/unique/indexes, content check, ANALYZE,
 *   swap (foreign keys to and from the table re-added `NOT VALID` in the swap's transaction);
 * - `foreign-keys`: missing keys added, keys the source no longer has dropped, all validated;
 * - `sequences`: set to the values each source's reader read at its end.
 *
 * Row counts are verified inside `copy`: the count the source's `COPY … TO` reports (in the
 * snapshot) must equal the count the destination's `COPY … FROM` reports (in the load's
 * transaction), or the table fails and keeps its previous copy; `--verify` adds a content hash there.
 */
export const steps = ['introspect', 'prepare', 'copy', 'foreign-keys', 'sequences'] as const
export type StepName = (typeof steps)[number]
