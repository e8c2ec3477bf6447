import os from 'node:os'
import nodemailer from 'nodemailer'
import type { AlertConfig } from '@elt/config'
import { describeError, sleep } from '@elt/core'
import type { AlertMessage } from './alert-message.ts'

type Webhook = NonNullable<AlertConfig['webhook']>
type Email = NonNullable<AlertConfig['email']>

/**
 * POSTs the alert as JSON, each attempt bounded by `timeoutSeconds` (the request is aborted, its
 * socket closed), retried `retries` times (0.5 s, 1 s, 2 s, … apart, at most 5 s) on a network
 * error or a non-2xx answer. Throws after the last attempt, naming the endpoint by its origin
 * only (a webhook's path is often its secret).
 *
 * ```ts
 * await sendWebhook({ url: 'https://hooks.slack.com/services/…', timeoutSeconds: 10, retries: 3 }, message)
 * // POST … content-type: application/json {"event":"failure","text":"elt: schedule nightly failed …",…}
 * ```
 */
export async function sendWebhook(webhook: Webhook, message: AlertMessage): Promise<void> {
  const body = JSON.stringify(message)
  let last = ''
  for (let attempt = 0; attempt <= webhook.retries; attempt++) {
    if (attempt > 0) await sleep(Math.min(500 * 2 ** (attempt - 1), 5000))
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...webhook.headers },
        body,
        signal: AbortSignal.timeout(webhook.timeoutSeconds * 1000),
      })
      await response.body?.cancel().catch(() => {})
      if (response.ok) return
      last = `HTTP ${response.status}`
    } catch (error) {
      last = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${webhook.timeoutSeconds} s` : describeError(error instanceof Error && error.cause ? error.cause : error)
    }
  }
  throw new Error(`the webhook at ${new URL(webhook.url).origin} failed ${webhook.retries + 1} time(s), last: ${last}`)
}

/**
 * Sends the alert by SMTP (nodemailer), bounded to 10 s per connection step.
 *
 * ```ts
 * await sendEmail({ to: 'data@example.com', smtp: { host: 'smtp.example.com', port: 587, secure: false } }, message)
 * ```
 */
export async function sendEmail(email: Email, message: AlertMessage): Promise<void> {
  const transport = nodemailer.createTransport({
    host: email.smtp.host,
    port: email.smtp.port,
    secure: email.smtp.secure,
    ...(email.smtp.user ? { auth: { user: email.smtp.user, pass: email.smtp.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10_000,
  })
  try {
    await transport.sendMail({
      from: email.from ?? `elt@${os.hostname()}`,
      to: email.to,
      subject: message.text.split('\n')[0]!,
      text: `${message.text}\n\n${JSON.stringify(message, null, 2)}\n`,
    })
  } finally {
    transport.close()
  }
}
