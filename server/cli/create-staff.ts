import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { TRPCError } from "@trpc/server";
import { createUser } from "../auth/accounts";
import { normaliseEmail } from "../auth/throttle";
import type { Services } from "../services";

async function readPassword(fromStdin: boolean) {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Hide what is typed: readline echoes through _writeToOutput.
  const anyRl = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  const question = "Password (12+ characters): ";
  anyRl._writeToOutput = (s: string) => anyRl.output.write(s.startsWith(question) ? question : "");
  const answer = await rl.question(question);
  rl.close();
  process.stdout.write("\n");
  return answer;
}

/** Platform operators are staff: verified at once, members of no organisation. */
export async function createStaff(services: Services, args: string[]) {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, name: { type: "string" }, "password-stdin": { type: "boolean" } },
  });
  if (!values.email || !values.name) throw new Error("create-staff needs --email and --name");
  const password = await readPassword(values["password-stdin"] ?? false);
  try {
    const user = await createUser(services, { name: values.name, email: normaliseEmail(values.email), password, isStaff: true, verified: true });
    console.log(`Created staff user ${user.email} (${user.id}).`);
  } catch (error) {
    if (error instanceof TRPCError) throw new Error(error.message);
    throw error;
  }
}
