import { sql } from 'kysely'
import { acceptedRange, defineModel, expression, relationships } from '@elt/runner'
import { ccb } from './ccb-sources.ts'

/**
 * The credit portfolio per borrower (one row per client of `ccb.clientes`):
 *
 * - `contratos`: contracts (bigint);
 * - `saldo_devedor`: outstanding balance, the sum of the parcelas not paid yet (nominal, numeric);
 * - `parcelas_em_atraso` / `valor_em_atraso`: parcelas overdue — marked `atrasada`, or `aberta` with a
 *   due date before today — and their sum;
 * - `proximo_vencimento`: the earliest due date of an unpaid parcela (NULL when all are paid).
 */
export const ccbCarteira = defineModel({
  name: 'ccb_carteira',
  materialized: 'table',
  description: 'Per borrower: contracts, outstanding balance, overdue parcelas and next due date.',
  tags: ['ccb'],
  from: { clientes: ccb.clientes, operacoes: ccb.operacoes, parcelas: ccb.parcelas },
  query: (db) =>
    db
      .selectFrom('clientes as c')
      .leftJoin('operacoes as o', 'o.cpf', 'c.cpf')
      .leftJoin('parcelas as p', 'p.numero_ccb', 'o.numero_ccb')
      .groupBy(['c.cpf', 'c.nome'])
      .orderBy('c.cpf')
      .select((eb) => {
        const unpaid = sql`${eb.ref('p.status')} <> 'paga'`
        const overdue = sql`(${eb.ref('p.status')} = 'atrasada' or (${eb.ref('p.status')} = 'aberta' and ${eb.ref('p.vencimento')} < current_date))`
        return [
          'c.cpf',
          'c.nome',
          eb.fn.count<string>('o.numero_ccb').distinct().as('contratos'),
          sql<string>`coalesce(sum(${eb.ref('p.valor')}) filter (where ${unpaid}), 0.00)`.as('saldo_devedor'),
          sql<string>`count(*) filter (where ${overdue})`.as('parcelas_em_atraso'),
          sql<string>`coalesce(sum(${eb.ref('p.valor')}) filter (where ${overdue}), 0.00)`.as('valor_em_atraso'),
          sql<Date | null>`min(${eb.ref('p.vencimento')}) filter (where ${unpaid})`.as('proximo_vencimento'),
        ]
      }),
  columns: {
    cpf: { description: 'CPF, digits only; primary key.', tests: ['not_null', 'unique', relationships(ccb.clientes, 'cpf')] },
    contratos: { description: 'Contracts of the borrower.', tests: ['not_null', acceptedRange({ min: 1 })] },
    saldo_devedor: { description: 'Sum of the parcelas not paid yet.', tests: ['not_null', acceptedRange({ min: 0 })] },
    parcelas_em_atraso: { description: 'Parcelas atrasada, or aberta past their due date.', tests: ['not_null', acceptedRange({ min: 0 })] },
    valor_em_atraso: { description: 'Sum of the overdue parcelas.', tests: ['not_null', acceptedRange({ min: 0 })] },
    proximo_vencimento: { description: 'Earliest due date of an unpaid parcela; NULL when all are paid.' },
  },
  tests: [expression((eb) => eb('valor_em_atraso', '<=', eb.ref('saldo_devedor')), { label: 'overdue amount within the outstanding balance' })],
  file: import.meta.filename,
})
