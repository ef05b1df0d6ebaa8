import type { IncomingHttpHeaders } from 'node:http'

/**
 * Cross-site request forgery guard for the served API. Browsers count every port of 127.0.0.1 as
 * one site, so a page served by any other local program carries our SameSite cookie along; what it
 * cannot fake is `Origin` and `Sec-Fetch-Site`, which browsers set on every state-changing request.
 * Returns why a request is refused, or null. Clients that are not browsers (curl, scripts) send
 * neither header and are let through to the token check.
 */
export function crossSiteRefusal(headers: IncomingHttpHeaders, port: number): string | null {
  const site = headerValue(headers['sec-fetch-site'])
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `refused a ${site} request: the API answers only the app served on this port`
  }
  const origin = headerValue(headers.origin)
  if (origin !== undefined && !ownOrigins(port).includes(origin.toLowerCase())) {
    return `refused a request from origin '${origin}': the API answers only the app served on this port`
  }
  return null
}

/** The origins the app itself is served from. */
export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
}

/**
 * Whether a request's body is declared JSON. A `text/plain` or form body is what a cross-site
 * page can send without a preflight; requiring `application/json` takes that door away too.
 */
export function isJsonContentType(headers: IncomingHttpHeaders): boolean {
  const type = headerValue(headers['content-type'])
  if (type === undefined) return false
  return /^application\/json\s*(;|$)/i.test(type.trim())
}

/** The token cookie's name: one per port, so two servers on one machine never share or overwrite it. */
export function tokenCookieName(port: number): string {
  return `hicra_token_${port}`
}

/** A cookie's value, null without one, undefined when its percent-encoding is malformed (a 400, not a crash). */
export function readCookie(header: string | undefined, name: string): string | null | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k !== name) continue
    try {
      return decodeURIComponent(v.join('='))
    } catch {
      return undefined
    }
  }
  return null
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}
