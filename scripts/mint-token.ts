/**
 * Mints a local sign-in token (HS256 under the JWT_SECRET of `.dev.vars`, or of the
 * environment) for an email:  npm run token -- --email alice@example.com [--ttl 12h]
 * The token's `sub` is derived from the email, so the same email is the same user.
 */
import { SignJWT } from "jose";
import { ensureDevVars } from "./local-env.ts";
import { parseScriptArgs } from "./script-args.ts";

/** Mints a token for `email` valid for `ttl` (a jose duration such as "12h"). */
export async function mintLocalToken(secret: string, email: string, ttl = "12h"): Promise<string> {
  return new SignJWT({ email })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(`local:${email.toLowerCase()}`)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}

if (import.meta.main) {
  const usage = `Usage: npm run token -- --email alice@example.com [--ttl 12h]

Prints a sign-in token for the local platform, signed with the JWT_SECRET of .dev.vars (or of
the environment). The same email is always the same user. --ttl takes a duration such as 30m,
12h or 7d (default 12h).`;
  const values = parseScriptArgs(usage, { email: { type: "string" }, ttl: { type: "string", default: "12h" } });
  if (!values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email)) {
    console.error(`--email must be an email address\n\n${usage}`);
    process.exit(2);
  }
  const secret = process.env.JWT_SECRET ?? ensureDevVars().JWT_SECRET!;
  console.log(await mintLocalToken(secret, values.email, values.ttl!));
}
