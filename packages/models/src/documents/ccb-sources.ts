import { defineSource } from '@elt/runner'

/** `ccb.clientes` as the ccb_contracts mapping writes it (one row per CPF, from its newest contract document). */
export interface CcbClientes {
  cpf: string
  nome: string
  data_nascimento: Date | null
  atualizado_em: Date
}

/** `ccb.operacoes`: one row per contract (numero_ccb), numbers as numeric text. */
export interface CcbOperacoes {
  numero_ccb: string
  cpf: string
  documento_id: string | null
  data_emissao: Date | null
  valor_principal: string | null
  taxa_juros_mensal: string | null
  prazo_meses: number | null
  valor_iof: string | null
  data_liberacao: Date | null
  cet_mensal: string | null
  cet_anual: string | null
  atualizado_em: Date
}

/** `ccb.parcelas`: one row per installment of a contract. */
export interface CcbParcelas {
  numero_ccb: string
  numero: number
  vencimento: Date | null
  valor: string | null
  status: string | null
  data_pagamento: Date | null
}

/**
 * The tables the document source `ccb` (elt.config.ts: a mongoexport of `contratos_ccb`, mapping
 * `ccb_contracts`) keeps in the `ccb` schema: validated documents upserted, so they are always
 * the newest valid version of each contract and client.
 */
export const ccb = {
  clientes: defineSource<CcbClientes>({
    schema: 'ccb',
    name: 'clientes',
    description: 'Borrowers, one per CPF (11 digits), from the newest contract document naming them.',
    columns: { cpf: { description: 'CPF, digits only; primary key.', tests: ['not_null', 'unique'] } },
  }),
  operacoes: defineSource<CcbOperacoes>({
    schema: 'ccb',
    name: 'operacoes',
    description: 'CCB contracts: principal, monthly rate, term, IOF, CET.',
    columns: { numero_ccb: { description: 'Contract number; primary key.', tests: ['not_null', 'unique'] } },
  }),
  parcelas: defineSource<CcbParcelas>({
    schema: 'ccb',
    name: 'parcelas',
    description: 'Installments of each contract (Price table): due date, amount, status aberta/paga/atrasada.',
  }),
}
