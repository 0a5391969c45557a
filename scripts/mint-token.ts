/**
 * Mints a local sign-in token (HS256 under the JWT_SECRET of `.dev.vars`, or of the
 * environment) for an email:  npm run token -- --email alice@example.com [--ttl 12h]
 * The token's `sub` is derived from the email, so the same email is the same user.
 */
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ensureDevVars } from "./local-env.ts";

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
  const { values } = parseArgs({ options: { email: { type: "string" }, ttl: { type: "string", default: "12h" } } });
  if (!values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email)) {
    console.error("usage: npm run token -- --email alice@example.com [--ttl 12h]");
    process.exit(2);
  }
  const secret = process.env.JWT_SECRET ?? ensureDevVars().JWT_SECRET!;
  console.log(await mintLocalToken(secret, values.email, values.ttl));
}
