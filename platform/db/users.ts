/** The users table: who has registered. */
import { credentialChanged } from "./gateway-session-cache.ts";

/** A registered user. */
export interface UserRow {
  id: string;
  email: string | null;
  registered_at: string;
}

/** The registered user with this id, or null. */
export function findUser(db: D1Database, id: string): Promise<UserRow | null> {
  return db.prepare("SELECT id, email, registered_at FROM users WHERE id = ?").bind(id).first<UserRow>();
}

/** Statement inserting a user unless already registered (a repeat keeps the first registered_at). */
export function insertUserIfAbsent(db: D1Database, user: UserRow): D1PreparedStatement {
  return db
    .prepare("INSERT INTO users (id, email, registered_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
    .bind(user.id, user.email, user.registered_at);
}

/** Deletes the user; credentials, OAuth flows and profiles go with it (ON DELETE CASCADE). */
export async function deleteUser(db: D1Database, id: string): Promise<boolean> {
  const result = await db
    .prepare("DELETE FROM users WHERE id = ?")
    .bind(id)
    .run()
    .finally(() => credentialChanged(id)); // its credential went with it
  return result.meta.changes > 0;
}
