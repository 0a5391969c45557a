/** Profiles: saved session settings, at most 10 per user, one default (API.md §3). */
import { z } from "zod";
import { Profile, ProfileCreate, ProfileDeleted, ProfileList, ProfileUpdate } from "../../schemas/profile.ts";
import { segment, type RestTransport } from "../../client-core/rest.ts";
import { validated } from "../validate.ts";
import type { CallOptions } from "./call-options.ts";

/** `/v1/profiles/...`. */
export class ProfilesApi {
  readonly #t: RestTransport;

  constructor(transport: RestTransport) {
    this.#t = transport;
  }

  /** Every profile of the caller, default first. */
  async list(options: CallOptions = {}) {
    return (await this.#t.request({ method: "GET", path: "/v1/profiles", parse: validated(ProfileList), idempotent: true, ...options })).profiles;
  }

  /** Creates a profile (409 `profile_limit` at 10, `profile_name_taken` for a duplicate name). */
  create(profile: z.input<typeof ProfileCreate>, options: CallOptions = {}) {
    return this.#t.request({ method: "POST", path: "/v1/profiles", body: profile, parse: validated(Profile), idempotent: false, ...options });
  }

  /** One profile. */
  get(id: string, options: CallOptions = {}) {
    return this.#t.request({ method: "GET", path: `/v1/profiles/${segment(id)}`, parse: validated(Profile), idempotent: true, ...options });
  }

  /** Replaces the fields given; `null` clears an optional limit. */
  update(id: string, changes: z.input<typeof ProfileUpdate>, options: CallOptions = {}) {
    return this.#t.request({ method: "PUT", path: `/v1/profiles/${segment(id)}`, body: changes, parse: validated(Profile), idempotent: true, ...options });
  }

  /** Deletes a profile (409 `default_profile` for the default one). */
  delete(id: string, options: CallOptions = {}) {
    // Not retried: a repeat after a lost answer would be a 404 although the delete worked.
    return this.#t.request({ method: "DELETE", path: `/v1/profiles/${segment(id)}`, parse: validated(ProfileDeleted), idempotent: false, ...options });
  }

  /** Makes the profile the default one; answers it. */
  setDefault(id: string, options: CallOptions = {}) {
    return this.#t.request({ method: "POST", path: `/v1/profiles/${segment(id)}/default`, parse: validated(Profile), idempotent: true, ...options });
  }
}
