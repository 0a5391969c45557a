/** Making sure the caller is registered before commands that need it. */
import { isAiSessionsError, type AiSessionsClient, type CredentialStatusAnswer } from "../sdk/index.ts";

/** The credential status, registering the caller first when the platform does not know them yet. */
export async function ensureRegistered(client: AiSessionsClient): Promise<CredentialStatusAnswer> {
  try {
    return await client.auth.credentialStatus();
  } catch (error) {
    if (!isAiSessionsError(error, "not_registered")) throw error;
    await client.register();
    return client.auth.credentialStatus();
  }
}
