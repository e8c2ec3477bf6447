import pg from 'pg'
import { qualifiedName, quoteIdent } from '@elt/core'
import type { SequenceDef, SequenceOptions, UserTypeDef } from '../introspect/catalog.ts'

/**
 * DDL creating a user-defined type in its destination schema (run with `search_path` = that schema).
 *
 * ```sql
 * CREATE TYPE "raw"."mood" AS ENUM ('sad', 'ok', 'happy')
 * CREATE DOMAIN "raw"."positive_int" AS integer CONSTRAINT "positive_int_check" CHECK (VALUE > 0)
 * CREATE TYPE "raw"."address" AS ("street" text, "zip" character varying(10))
 * CREATE TYPE "raw"."price_range" AS RANGE (SUBTYPE = numeric)
 * ```
 */
export function createTypeDdl(t: UserTypeDef): string {
  const name = qualifiedName(t.targetSchema, t.name)
  switch (t.kind) {
    case 'enum':
      return `CREATE TYPE ${name} AS ENUM (${t.labels.map((l) => pg.escapeLiteral(l)).join(', ')})`
    case 'domain':
      return `CREATE DOMAIN ${name} AS ${t.baseType as string} ${t.domainClauses.join(' ')}`.trimEnd()
    case 'composite':
      return `CREATE TYPE ${name} AS (${t.attributes.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ')})`
    case 'range':
      return `CREATE TYPE ${name} AS RANGE (SUBTYPE = ${t.baseType as string})`
  }
}

/** Labels an existing destination enum lacks: `ALTER TYPE "raw"."mood" ADD VALUE IF NOT EXISTS 'meh'`. */
export function addEnumLabelDdl(t: UserTypeDef, label: string): string {
  return `ALTER TYPE ${qualifiedName(t.targetSchema, t.name)} ADD VALUE IF NOT EXISTS ${pg.escapeLiteral(label)}`
}

/**
 * A sequence used by a column default. It is not `OWNED BY` the column in the destination,
 * so dropping the previous copy of the table at the swap never drops it.
 *
 * ```sql
 * CREATE SEQUENCE IF NOT EXISTS "raw"."films_film_id_seq" AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1 NO CYCLE
 * ```
 */
export function createSequenceDdl(s: SequenceDef): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${qualifiedName(s.targetSchema, s.name)} ${sequenceOptions(s.options)}`
}

/** `AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1 NO CYCLE` (no `AS` for identity columns: their type is the column's). */
export function sequenceOptions(o: SequenceOptions, withType = true): string {
  return `${withType ? `AS ${o.dataType} ` : ''}INCREMENT BY ${o.increment} MINVALUE ${o.min} MAXVALUE ${o.max} START WITH ${o.start} CACHE ${o.cache} ${o.cycle ? 'CYCLE' : 'NO CYCLE'}`
}
