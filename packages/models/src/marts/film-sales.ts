import { sql } from 'kysely'
import { acceptedRange, defineModel, expression, relationships } from '@elt/runner'
import { stgTicketSales } from '../staging/stg-ticket-sales.ts'
import { filmRatings } from './film-ratings.ts'

/**
 * One row per film (every film, sold or not) with its ticket sales from the CSV source:
 *
 * - `sales`: number of sales (bigint, 0 when none); `tickets_sold`: tickets over them (bigint, 0 when none);
 * - `revenue`: sum of `tickets × unit_price` over the sales that have a price (numeric, 0.00 when none);
 *   `unpriced_sales`: sales whose price the export lacks (not in `revenue`);
 * - `buyers`: distinct accounts that bought (box-office sales without an account not counted);
 * - `first_sale_at` / `last_sale_at`: earliest and latest `sold_at` (NULL when never sold);
 * - `rating_category` from film_ratings, so sales can be read against ratings.
 */
export const filmSales = defineModel({
  name: 'film_sales',
  materialized: 'table',
  description: 'Per film: ticket sales, tickets, revenue, buyers and first/last sale, with the rating category.',
  tags: ['marts'],
  from: { films: filmRatings, sales: stgTicketSales },
  query: (db) =>
    db
      .with('per_film', (qc) =>
        qc
          .selectFrom('sales as s')
          .groupBy('s.film_id')
          .select((eb) => [
            's.film_id',
            eb.fn.countAll<string>().as('sales'),
            eb.fn.sum<string>('s.tickets').as('tickets_sold'),
            eb.fn.sum<string>('s.amount').as('revenue'),
            sql<string>`count(*) filter (where ${eb.ref('s.unit_price')} is null)`.as('unpriced_sales'),
            eb.fn.count<string>('s.user_id').distinct().as('buyers'),
            eb.fn.min('s.sold_at').as('first_sale_at'),
            eb.fn.max('s.sold_at').as('last_sale_at'),
          ]),
      )
      .selectFrom('films as f')
      .leftJoin('per_film as p', 'p.film_id', 'f.film_id')
      .orderBy('f.film_id')
      .select((eb) => [
        'f.film_id',
        'f.title',
        'f.rating_category',
        eb.fn.coalesce('p.sales', sql<string>`0`).as('sales'),
        eb.fn.coalesce('p.tickets_sold', sql<string>`0`).as('tickets_sold'),
        eb.fn.coalesce('p.revenue', sql<string>`0.00`).as('revenue'),
        eb.fn.coalesce('p.unpriced_sales', sql<string>`0`).as('unpriced_sales'),
        eb.fn.coalesce('p.buyers', sql<string>`0`).as('buyers'),
        'p.first_sale_at',
        'p.last_sale_at',
      ]),
  columns: {
    film_id: { description: 'Primary key.', tests: ['not_null', 'unique', relationships(filmRatings, 'film_id')] },
    sales: { description: 'Number of sales (0 when none).', tests: ['not_null', acceptedRange({ min: 0 })] },
    tickets_sold: { description: 'Tickets sold (0 when none).', tests: ['not_null', acceptedRange({ min: 0 })] },
    revenue: { description: 'Sum of tickets × unit_price over priced sales (0 when none).', tests: ['not_null', acceptedRange({ min: 0 })] },
    unpriced_sales: { description: 'Sales without a price in the export (not in revenue).' },
    buyers: { description: 'Distinct accounts that bought (box-office sales without an account not counted).', tests: ['not_null', acceptedRange({ min: 0 })] },
    first_sale_at: { description: 'Earliest sale; NULL when never sold.' },
    last_sale_at: { description: 'Latest sale; NULL when never sold.' },
  },
  tests: [
    expression((eb) => eb('tickets_sold', '>=', eb.ref('sales')), { label: 'at least one ticket per sale' }),
    expression((eb) => eb('first_sale_at', '<=', eb.ref('last_sale_at')), { label: 'first sale not after the last' }),
  ],
  file: import.meta.filename,
})
