/**
 * A back-end error as a sentence for the person who pressed the button: without the channel
 * prefix ("errors/judge: "), and with network error codes said in words. The original code stays
 * in brackets, for searching.
 */
const CODES: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening at that address (is the server running, on that port?)',
  ENOTFOUND: 'no computer has that host name (check the base URL for typos)',
  EAI_AGAIN: 'the host name could not be looked up (no network or DNS?)',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the server closed the connection',
  EHOSTUNREACH: 'that host cannot be reached from here',
  CERT_HAS_EXPIRED: 'the server\'s certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server uses a self-signed certificate',
  'bad port': 'that port is one Node refuses to connect to (a reserved port); serve the judge on another'
}

export function plainError(message: string): string {
  let m = message.replace(/^[a-z]+\/[A-Za-z]+: /, '')
  for (const [code, words] of Object.entries(CODES)) {
    if (m.includes(code)) { m = m.replace(new RegExp(`:?\\s*${code}`), `: ${words} [${code}]`); break }
  }
  m = m.replace(/HTTP 401\b/, 'HTTP 401 (the API key was refused)').replace(/HTTP 404\b/, 'HTTP 404 (no such endpoint: the base URL usually ends in /v1)')
  return m.charAt(0).toUpperCase() + m.slice(1)
}
