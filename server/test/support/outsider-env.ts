import { STRONG_PASSWORD, uniqueEmail, verifiedUser } from "./accounts";
import { Client, ok, type CallResult } from "./client";
import type { Instance } from "./instance";
import type { Victim } from "./victim";
import type { orgWithData } from "./world";

/**
 * What an effect case may use: the victim's data to build inputs from, an outsider (a verified owner of
 * another organisation), a staff account, and ways to make fresh clients, so that a case which ends a
 * session or an account does not spoil the next one. Every call goes through `call`, which keeps its
 * answer so the suite can check that none was a 500.
 */
export class OutsiderEnv {
  readonly answers: { path: string; status: number; message?: string }[] = [];

  constructor(
    readonly instance: Instance,
    readonly victim: Victim,
    readonly outsider: Awaited<ReturnType<typeof orgWithData>>,
    readonly staff: Client,
  ) {}

  anonymous() {
    return new Client(this.instance.url);
  }

  async call(client: Client, kind: "query" | "mutation", path: string, input?: unknown): Promise<CallResult> {
    const res = kind === "query" ? await client.query(path, input) : await client.mutate(path, input);
    this.answers.push({ path, status: res.status, message: res.error?.message });
    return res;
  }

  /** A new account, signed up over HTTP (so it holds a session), confirmed through its emailed link when asked. */
  async signUp(email: string, name: string, opts: { verify?: boolean } = {}) {
    const client = this.anonymous();
    ok(await this.call(client, "mutation", "auth.signup", { name, email, password: STRONG_PASSWORD }), `signup ${email}`);
    if (opts.verify) {
      const token = new URL(this.instance.smtp.linkFor(email.toLowerCase(), "/verify")).searchParams.get("token");
      ok(await this.call(client, "mutation", "auth.verifyEmail", { token }), `verify ${email}`);
    }
    return client;
  }

  /** A verified account of its own, for cases that change or end what they sign in with. */
  async freshUser(name = "Fresh Outsider") {
    const user = await verifiedUser(this.instance, name, uniqueEmail("outsider"));
    return user;
  }

  /** An invitation from the outsider's organisation to `email` (sent again if one is pending), and its token as mailed. */
  async inviteFromOutsider(email: string, role = "member") {
    const org = this.outsider.slug;
    const created = await this.call(this.outsider.client, "mutation", "invitations.create", { org, email, role });
    if (created.status === 409) {
      const pending = ok(await this.call(this.outsider.client, "query", "invitations.list", { org }), "invitations").find(
        (i: { email: string; state: string }) => i.email === email.toLowerCase() && i.state === "pending",
      );
      ok(await this.call(this.outsider.client, "mutation", "invitations.resend", { org, id: pending.id }), `resend to ${email}`);
    } else ok(created, `invite ${email}`);
    return new URL(this.instance.smtp.linkFor(email.toLowerCase(), "/invite")).searchParams.get("token")!;
  }
}

/** A well-formed token that nobody was ever given. */
export const UNKNOWN_TOKEN = "Zz".repeat(21) + "Q";
