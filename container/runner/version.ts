/** Version the runner announces in `hello` (bump with protocol-relevant changes). */
export const RUNNER_VERSION = "0.1.0";
