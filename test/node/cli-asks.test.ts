/** The CLI's approval prompt offers exactly the server's session patterns (issue 9). */
import { describe, expect, it } from "vitest";
import { approvalPrompt, parseApproval } from "../../cli/chat/asks.ts";

const request = (session_patterns: string[] | undefined) => ({
  tool_use_id: "toolu_1",
  tool_name: "Bash",
  tool_input: { command: "timeout 5 rm -rf build && ls" },
  ...(session_patterns === undefined ? {} : { session_patterns }),
});

describe("approval prompt", () => {
  it("names the exact patterns a session approval grants", () => {
    const ask = request(["Bash(rm:*)", "Bash(ls:*)"]);
    expect(approvalPrompt(ask)).toContain("[s]ession: allow Bash(rm:*), Bash(ls:*)");
    expect(approvalPrompt(ask)).not.toContain("timeout:");
    expect(parseApproval("s", ask)).toEqual({ approved: true, scope: "session" });
  });

  it("offers no session approval when the server grants nothing", () => {
    for (const ask of [request([]), request(undefined)]) {
      expect(approvalPrompt(ask)).not.toContain("[s]ession");
      expect(parseApproval("s", ask)).toBeNull();
      expect(parseApproval("y", ask)).toEqual({ approved: true, scope: "once" });
      expect(parseApproval("n", ask)).toEqual({ approved: false });
    }
  });
});
