/** Types of the test-only bindings added in vitest.config.ts. */
import type { Env as WorkerEnv } from "../../platform/env.ts";

declare global {
  namespace Cloudflare {
    /** Lets `exports.default` from cloudflare:workers know the Worker's entry module. */
    interface GlobalProps {
      mainModule: typeof import("../../worker/index.ts");
    }
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** The fake identity provider's RS256 private key (JWK JSON), to sign IdP tokens. */
      TEST_IDP_PRIVATE_JWK: string;
      /** The sandbox recorder (test/fakes/sandbox-host-recorder.ts): what each sandbox was started with. */
      TEST_SANDBOX_RECORDER_URL: string;
    }
  }
}
