import { sql } from 'kysely'
import { acceptedRange, acceptedValues, defineModel, relationships } from '@elt/runner'
import { raw } from '../sources.ts'
import { stgFilms } from './stg-films.ts'
import { stgUsers } from './stg-users.ts'

/**
 * One row per ticket sale from the CSV source, source columns plus `amount` (`tickets × unit_price`,
 * NULL when the export has no price).
 */
export const stgTicketSales = defineModel({
  name: 'stg_ticket_sales',
  materialized: 'view',
  description: 'Ticket sales from the CSV export, one row per sale, with the amount paid.',
  tags: ['staging'],
  from: { sales: raw.ticketSales },
  query: (db) =>
    db
      .selectFrom('sales')
      .select((eb) => [
        'sale_id',
        'film_id',
        'user_id',
        'cinema',
        'seat',
        'showing_date',
        'sold_at',
        'tickets',
        'unit_price',
        sql<string | null>`${eb.ref('tickets')} * ${eb.ref('unit_price')}`.as('amount'),
        'payment',
        'promo_code',
        'note',
      ]),
  columns: {
    sale_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
    film_id: { description: 'The film shown.', tests: ['not_null', relationships(stgFilms, 'film_id')] },
    user_id: { description: "The buyer's account; NULL for a box-office sale without one.", tests: [relationships(stgUsers, 'user_id')] },
    tickets: { description: 'Tickets in the sale.', tests: ['not_null', acceptedRange({ min: 1, max: 6 })] },
    unit_price: { description: 'Price of one ticket; NULL when the export lacks it.', tests: [acceptedRange({ min: 0 })] },
    amount: { description: 'tickets × unit_price; NULL when the price is missing.' },
    payment: { description: 'How the sale was paid.', tests: ['not_null', acceptedValues(['card', 'cash', 'pix', 'voucher'])] },
  },
  file: import.meta.filename,
})
