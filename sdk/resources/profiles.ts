/** Profiles: saved session settings, at most 10 per user, one default (docs/api.md §3). */
import type { z } from "zod";
import { ProfileAnswer, type ProfileCreate, ProfileDeleted, ProfileList, type ProfileUpdate } from "../../schemas/profile.ts";
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
    return (await this.#t.request({ method: "GET", path: "/v1/profiles", parse: validated(ProfileList), idempotent: true, ...options }))
      .profiles;
  }

  /** Creates a profile (409 `profile_limit` at 10, `profile_name_taken` for a duplicate name). */
  async create(profile: z.input<typeof ProfileCreate>, options: CallOptions = {}) {
    return (
      await this.#t.request({
        method: "POST",
        path: "/v1/profiles",
        body: profile,
        parse: validated(ProfileAnswer),
        idempotent: false,
        ...options,
      })
    ).profile;
  }

  /** One profile. */
  async get(id: string, options: CallOptions = {}) {
    return (
      await this.#t.request({
        method: "GET",
        path: `/v1/profiles/${segment(id)}`,
        parse: validated(ProfileAnswer),
        idempotent: true,
        ...options,
      })
    ).profile;
  }

  /** Replaces the fields given; `null` clears an optional limit. */
  async update(id: string, changes: z.input<typeof ProfileUpdate>, options: CallOptions = {}) {
    return (
      await this.#t.request({
        method: "PUT",
        path: `/v1/profiles/${segment(id)}`,
        body: changes,
        parse: validated(ProfileAnswer),
        idempotent: true,
        ...options,
      })
    ).profile;
  }

  /** Deletes a profile (409 `default_profile` for the default one). */
  delete(id: string, options: CallOptions = {}) {
    // Not retried: a repeat after a lost answer would be a 404 although the delete worked.
    return this.#t.request({
      method: "DELETE",
      path: `/v1/profiles/${segment(id)}`,
      parse: validated(ProfileDeleted),
      idempotent: false,
      ...options,
    });
  }

  /** Makes the profile the default one; answers it. */
  async setDefault(id: string, options: CallOptions = {}) {
    return (
      await this.#t.request({
        method: "POST",
        path: `/v1/profiles/${segment(id)}/default`,
        parse: validated(ProfileAnswer),
        idempotent: true,
        ...options,
      })
    ).profile;
  }
}
