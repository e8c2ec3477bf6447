/**
 * Writes `source_db_init/ticket_sales.csv`, the project's sample CSV source: 5,000 cinema ticket
 * sales of the films in init.sql (film_id 1..118) to its users (user_id 1..42, empty for a sale at
 * the box office without an account). Deterministic (every draw is a hash of its sequence number): running it again writes
 * the same bytes. The file exercises what real exports have: non-ASCII text, empty fields, commas
 * and doubled quotes inside quoted fields, timestamps with offsets, codes with leading zeros.
 *
 *   pnpm exec tsx source_db_init/generate-ticket-sales.ts
 */
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const rows = 5000
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ticket_sales.csv')

/** The next number in [0, 1): a hash of how many came before, so the file is the same on every machine. */
let draws = 0
const rand = () => createHash('sha256').update(`ticket_sales:${draws++}`).digest().readUInt32BE(0) / 4294967296
const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1))
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T

const cinemas = [
  { name: 'Cine Belas Artes, São Paulo', offset: '-03:00' },
  { name: 'Cinéma Le Champo, Paris', offset: '+01:00' },
  { name: 'Kino Babylon, Berlin', offset: '+01:00' },
  { name: 'Filmstaden Söder, Stockholm', offset: '+01:00' },
  { name: 'Cine Doré, Madrid', offset: '+01:00' },
  { name: 'Кинотеатр «Октябрь», Москва', offset: '+03:00' },
  { name: 'Prince Charles Cinema, London', offset: '+00:00' },
  { name: '新宿ピカデリー, 東京', offset: '+09:00' },
  { name: 'Cinema Nova, Melbourne', offset: '+11:00' },
  { name: 'Metrograph, New York', offset: '-05:00' },
] as const
const payments = ['card', 'card', 'card', 'cash', 'pix', 'voucher'] as const
const notes = [
  'Aniversário da Júlia — pipoca grátis',
  'Séance en VO, sous-titres français',
  'Rollstuhlplatz, Reihe 3',
  'Seat near the aisle, please',
  'He said "best seat in the house"',
  'Gruppe: 4 Erwachsene, 2 Kinder',
  'Возврат невозможен',
  '学生割引',
  'Paid with "Cinéphile" card, 10% off',
] as const

const header = ['sale_id', 'film_id', 'user_id', 'cinema', 'seat', 'showing_date', 'sold_at', 'tickets', 'unit_price', 'payment', 'promo_code', 'note']

/** A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
function field(value: string | number | null): string {
  if (value === null) return ''
  const text = String(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')
const lines = [header.join(',')]
const start = Date.UTC(2024, 0, 1)
for (let id = 1; id <= rows; id++) {
  const cinema = pick(cinemas)
  const showing = new Date(start + int(0, 364) * 86_400_000)
  const sold = new Date(showing.getTime() - int(0, 14) * 86_400_000 + int(8, 22) * 3_600_000 + int(0, 59) * 60_000 + int(0, 59) * 1000)
  const soldAt =
    `${sold.getUTCFullYear()}-${pad(sold.getUTCMonth() + 1)}-${pad(sold.getUTCDate())}T` +
    `${pad(sold.getUTCHours())}:${pad(sold.getUTCMinutes())}:${pad(sold.getUTCSeconds())}${cinema.offset}`
  const tickets = rand() < 0.7 ? 1 : int(2, 6)
  const price = (int(600, 1800) / 100).toFixed(2)
  lines.push(
    [
      id,
      int(1, 118),
      rand() < 0.15 ? null : int(1, 42), // a box-office sale without an account
      cinema.name,
      `${pick(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'])}${int(1, 20)}`,
      `${showing.getUTCFullYear()}-${pad(showing.getUTCMonth() + 1)}-${pad(showing.getUTCDate())}`,
      soldAt,
      tickets,
      rand() < 0.02 ? null : price, // price missing in the export
      pick(payments),
      rand() < 0.1 ? pad(int(1, 999), 4) : null, // promo codes keep their leading zeros
      rand() < 0.08 ? pick(notes) : null,
    ]
      .map(field)
      .join(','),
  )
}
writeFileSync(out, lines.join('\n') + '\n')
console.log(`wrote ${rows} rows to ${path.relative(process.cwd(), out)}`)
