import { defineSource, freshness } from '@elt/runner'
import type { RawActors, RawFilmActors, RawFilmCategory, RawFilms, RawTicketSales, RawUsers } from './generated/raw-schema.ts'

/**
 * The source tables in the destination's `raw` schema: the tables replicated from the source
 * database (source `postgres` in elt.config.ts) and `ticket_sales`, loaded from the CSV file
 * source_db_init/ticket_sales.csv (source `ticket_sales`). Row types come from
 * `generated/raw-schema.ts` (`pnpm elt codegen`); column docs and source tests live here.
 */
export const raw = {
  films: defineSource<RawFilms>({
    schema: 'raw',
    name: 'films',
    description: 'Films of the catalogue, replicated from the source database.',
    columns: { film_id: { description: 'Primary key.' } },
    // No timestamp column in the seed: the age is the time since `elt replicate` last loaded the table.
    tests: [freshness({ warnAfter: '1d', errorAfter: '7d' })],
  }),
  actors: defineSource<RawActors>({
    schema: 'raw',
    name: 'actors',
    description: 'Actors; two different actors may share a name.',
    columns: { actor_id: { description: 'Primary key.' } },
  }),
  filmActors: defineSource<RawFilmActors>({
    schema: 'raw',
    name: 'film_actors',
    description: 'Which actor plays in which film (one row per pair).',
  }),
  filmCategory: defineSource<RawFilmCategory>({
    schema: 'raw',
    name: 'film_category',
    description: 'Categories of films; a film may have several or none.',
  }),
  users: defineSource<RawUsers>({
    schema: 'raw',
    name: 'users',
    description: 'Users of the rating site.',
    columns: { id: { description: 'Primary key.' } },
  }),
  ticketSales: defineSource<RawTicketSales>({
    schema: 'raw',
    name: 'ticket_sales',
    description:
      'Cinema ticket sales, one row per sale, loaded from the CSV export source_db_init/ticket_sales.csv (source ticket_sales). ' +
      'Column types are inferred from the file, so every column is nullable.',
    columns: {
      sale_id: { description: 'Sale number in the export; identifies the sale.', tests: ['not_null', 'unique'] },
      film_id: { description: 'The film shown (films.film_id).', tests: ['not_null'] },
      user_id: { description: "The buyer's account (users.id); NULL for a box-office sale without an account." },
      cinema: { description: 'Cinema and city, any Unicode, may contain commas.' },
      showing_date: { description: 'Day of the screening.' },
      sold_at: { description: 'When the tickets were sold, with the cinema’s UTC offset.' },
      tickets: { description: 'Tickets in the sale (1–6).', tests: ['not_null'] },
      unit_price: { description: 'Price of one ticket; NULL when the export lacks it.' },
      promo_code: { description: 'Promotion code as text (leading zeros kept); NULL when none.' },
      note: { description: 'Free-text note of the cashier, any Unicode.' },
    },
    // The sales are historical: the age is the time since `elt replicate` last loaded the file.
    tests: [freshness({ warnAfter: '1d', errorAfter: '7d' })],
  }),
}
