import { qualifiedName, quoteIdent } from '@elt/core'

/**
 * Adds a foreign key without checking the rows already there (`NOT VALID`: no scan, a short
 * lock; `VALIDATE CONSTRAINT` checks them later without blocking readers). PostgreSQL 15 has
 * no `NOT VALID` key on a partitioned table: there the key is checked as it is added.
 *
 * ```sql
 * ALTER TABLE "raw"."film_category" ADD CONSTRAINT "film_category_film_id_fkey" FOREIGN KEY (film_id) REFERENCES films(film_id) NOT VALID
 * ALTER TABLE "raw"."payment" ADD CONSTRAINT "payment_rental_id_fkey" FOREIGN KEY (rental_id) REFERENCES rental(rental_id)   -- partitioned
 * ```
 */
export function addForeignKeyDdl(relation: { schema: string; name: string }, key: { name: string; definition: string }, partitioned: boolean): string {
  const definition = key.definition.replace(/ NOT VALID$/, '')
  return `ALTER TABLE ${qualifiedName(relation.schema, relation.name)} ADD CONSTRAINT ${quoteIdent(key.name)} ${definition}${partitioned ? '' : ' NOT VALID'}`
}
