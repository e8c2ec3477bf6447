/**
 * Credentials never reach output. `redactUrl` hides the password of a connection
 * URL; `redactSecrets` scrubs known secrets (and any URL password) from free text,
 * such as a driver's error message.
 *
 * ```ts
 * redactUrl('postgres://app:s3cret@db:5432/src') // 'postgres://app:***@db:5432/src'
 * ```
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return url.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
  }
}

export function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password
    return password ? decodeURIComponent(password) : undefined
  } catch {
    return undefined
  }
}

export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
  for (const secret of secrets) {
    if (!secret) continue
    if (secret.length >= 4) out = out.split(secret).join('***')
    // A very short password would mangle ordinary words ("data***ase"): replace it only as a whole token.
    else out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(secret)}(?![\\p{L}\\p{N}])`, 'gu'), '***')
  }
  return out
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
