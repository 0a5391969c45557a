/**
 * Headers the web UI's files are served with. The UI renders agent output (untrusted: assume
 * a prompt-injected agent wrote it), so the page may run only its own scripts, talk only to
 * its own origin, and never be framed (no clickjacking of approval buttons).
 */

/** The UI's Content-Security-Policy: its own scripts and styles, data: icons, same-origin fetches and sockets, no framing. */
export const WEB_UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const HEADERS: Record<string, string> = {
  "content-security-policy": WEB_UI_CSP,
  // For browsers that predate frame-ancestors.
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** `response` (a static file) with the UI's security headers. */
export function withSecurityHeaders(response: Response): Response {
  const secured = new Response(response.body, response);
  for (const [name, value] of Object.entries(HEADERS)) secured.headers.set(name, value);
  return secured;
}
