/** Helpers for workerd tests: minting tokens and calling the Worker like a client would. */
import { exports } from "cloudflare:workers";
import { SignJWT } from "jose";

/** The HS256 secret the test project configures (vitest.config.ts). */
export const TEST_JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256";

let userCounter = 0;

/** A fresh, unique test user (so tests sharing storage never collide). */
export function newUser(domain = "example.com"): { sub: string; email: string } {
  userCounter += 1;
  const sub = `user-${crypto.randomUUID()}-${userCounter}`;
  return { sub, email: `${sub}@${domain}` };
}

/** Mints an HS256 token; options forge expired or wrongly-signed ones. */
export async function mintToken(
  user: { sub: string; email?: string },
  options: { secret?: string; expiresIn?: string | number; issuedAt?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(user.email ? { email: user.email } : {}).setProtectedHeader({ alg: "HS256" }).setSubject(user.sub);
  if (options.issuedAt !== undefined) jwt.setIssuedAt(options.issuedAt);
  else jwt.setIssuedAt();
  jwt.setExpirationTime(options.expiresIn ?? "1h");
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** A response with its parsed JSON body. */
export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the Worker. `body` objects are sent as JSON; strings are sent raw. */
export async function call<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await exports.default.fetch(new Request(`http://platform.test${path}`, { method, headers, body }));
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text so assertions can show it
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Registers a fresh user and returns its token. */
export async function registeredUser(domain = "example.com"): Promise<{ user: { sub: string; email: string }; token: string }> {
  const user = newUser(domain);
  const token = await mintToken(user);
  const answer = await call("POST", "/v1/register", { token });
  if (answer.status !== 200) throw new Error(`registration failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { user, token };
}
