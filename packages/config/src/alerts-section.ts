import { z } from 'zod'
import { configSection } from './config-section.ts'
import { httpUrl, nonEmptyText, seconds, wholeNumber } from './config-values.ts'

export const alertEvents = ['failure', 'test_failure', 'freshness', 'recovered'] as const


const webhookSection = configSection(
  {
    url: httpUrl,
    headers: z.record(nonEmptyText('a header name'), z.string({ error: 'a header value (text)' }), { error: 'a map of header names to values' }).optional(),
    /** Per attempt (default 10 s). */
    timeoutSeconds: seconds.default(10),
    /** Attempts after the first (default 3). */
    retries: wholeNumber(0).default(3),
  },
  'a webhook { url, headers?, timeoutSeconds?, retries? }',
)

const emailSection = configSection(
  {
    to: z.union([nonEmptyText('an email address'), z.array(nonEmptyText('an email address')).min(1)], { error: 'an email address or a list of them' }),
    from: nonEmptyText('an email address').optional(),
    smtp: configSection(
      {
        host: nonEmptyText('an SMTP host name'),
        port: wholeNumber(1).default(587),
        secure: z.boolean({ error: 'true or false' }).default(false),
        user: nonEmptyText('a user name').optional(),
        /** Better given through the environment: `password: process.env.SMTP_PASSWORD`. */
        password: nonEmptyText('a password').optional(),
      },
      'SMTP settings { host, port?, secure?, user?, password? }',
    ),
  },
  'an email alert { to, from?, smtp: { host, … } }',
)

/**
 * `alerts`: where `pnpm elt serve` reports incidents — one alert when a schedule starts failing,
 * `recovered` when it passes again, never one per retry.
 *
 * ```ts
 * alerts: [{ on: ['failure', 'test_failure', 'recovered'], webhook: { url: 'https://hooks.slack.com/services/…' } }]
 * ```
 */
export const alertSection = configSection(
  {
    on: z
      .array(z.enum(alertEvents, { error: `one of ${alertEvents.map((e) => `"${e}"`).join(', ')}` }), { error: 'a list of events such as ["failure", "recovered"]' })
      .min(1, { error: 'a list of at least one event such as ["failure"]' }),
    webhook: webhookSection.optional(),
    email: emailSection.optional(),
  },
  'an alert { on, webhook?, email? }',
).refine((alert) => alert.webhook !== undefined || alert.email !== undefined, { error: 'a webhook or an email (or both)' })

export const alertsSection = z.array(alertSection, { error: 'a list of alerts such as [{ on: ["failure"], webhook: { url: "…" } }]' })

export type AlertConfig = z.output<typeof alertSection>
