import type pg from 'pg'

/**
 * Settings applied to every source and destination session, so the text COPY format and
 * `row::text` (content hash) are identical on both sides whatever the servers' defaults.
 */
export const sessionSettingsSql =
  `SET datestyle = 'ISO, YMD'; SET intervalstyle = 'postgres'; SET extra_float_digits = 3; SET timezone = 'UTC'; ` +
  `SET lc_monetary = 'C'; SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; SET bytea_output = 'hex'`

export async function applySessionSettings(client: pg.ClientBase): Promise<void> {
  await client.query(sessionSettingsSql)
}

/** Major version (`15`) of the server behind `client`: binary COPY is used only between equal majors. */
export async function serverMajor(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ v: string }>(`select current_setting('server_version_num') as v`)
  return Math.floor(Number(rows[0]?.v) / 10000)
}
