import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import Database from "better-sqlite3";
import { tenantFilePath } from "../../../db/tenant/paths";
import { blobDir } from "../../files/storage";
import { STRONG_PASSWORD } from "./accounts";
import { Client, ok } from "./client";
import type { Instance } from "./instance";
import { filesUnder } from "./tenant-files";
import { orgWithData } from "./world";

/**
 * The organisation an outsider aims at in the effect-proof suite: one row of every kind (orgWithData)
 * plus the text of issue 24's reproduction: a client whose contact address is also quoted in its
 * notes, a task description and an issued invoice, and a contact at a public mail provider, where
 * anyone can register an address that is a substring of it.
 */
export const CLIENT_CONTACT = "info@victimcorp.example";
export const CLIENT_NAME = "Acme Holdings";
export const FREEMAIL_CONTACT = "jordan.avery@freemail.example";

export type Victim = Awaited<ReturnType<typeof victimOrg>>;

export async function victimOrg(instance: Instance, slug: string) {
  const world = await orgWithData(instance, slug);
  const org = slug;
  const owner = world.client;
  const acme = ok(
    await owner.mutate("clients.create", {
      org,
      name: CLIENT_NAME,
      contactEmail: CLIENT_CONTACT,
      notes: `Write to ${CLIENT_CONTACT}; their designer is ${FREEMAIL_CONTACT}.`,
    }),
    "victim client",
  );
  ok(await owner.mutate("clients.create", { org, name: "Jordan Avery Design", contactEmail: FREEMAIL_CONTACT }), "victim freemail client");
  const project = ok(await owner.mutate("projects.create", { org, clientId: acme.id, name: `${CLIENT_NAME} website` }), "victim project");
  ok(
    await owner.mutate("tasks.create", {
      org,
      projectId: project.id,
      title: `Call ${CLIENT_NAME}`,
      description: `Ask ${CLIENT_CONTACT} for the logo files.`,
    }),
    "victim task",
  );
  const invoice = ok(
    await owner.mutate("invoices.create", {
      org,
      clientId: acme.id,
      notes: `Send to ${CLIENT_CONTACT}`,
      lines: [{ description: `Retainer for ${CLIENT_CONTACT}`, quantity: 1, unitPrice: 120_000 }],
    }),
    "victim invoice",
  );
  ok(await owner.mutate("invoices.issue", { org, id: invoice.id }), "victim issue");

  const { control } = instance.services;
  const members = await control
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.id", "users.email", "users.name"])
    .where("memberships.tenant_id", "=", world.tenantId)
    .orderBy("users.email")
    .execute();
  const member = members.find((m) => m.id === world.target.memberUserId)!;
  // The member signs in before any snapshot is taken, so the suite can act as them later without changing the baseline.
  const memberClient = new Client(instance.url);
  ok(await memberClient.mutate("auth.login", { email: member.email, password: STRONG_PASSWORD }), "victim member login");
  const invited = await control
    .selectFrom("invitations")
    .select(["email", "accepted_at"])
    .where("tenant_id", "=", world.tenantId)
    .execute();
  const ownerRow = members.find((m) => m.email === world.email)!;

  return {
    ...world,
    orgName: `Org ${slug}`,
    ownerId: ownerRow.id,
    ownerName: ownerRow.name,
    memberIds: members.map((m) => m.id),
    memberEmail: member.email,
    memberName: member.name,
    memberClient,
    pendingEmail: invited.find((i) => i.accepted_at === null)!.email,
    /** Every address the organisation holds: its members', its clients' contacts, its pending invitations'. */
    emails: [
      ...new Set([
        ...members.map((m) => m.email),
        `billing@${slug}.test`,
        CLIENT_CONTACT,
        FREEMAIL_CONTACT,
        ...invited.map((i) => i.email),
      ]),
    ],
    names: [...new Set([...members.map((m) => m.name), `Client of ${slug}`, CLIENT_NAME, "Jordan Avery Design", `Org ${slug}`])],
  };
}

/** `email` less its first `n` characters: an address that is a substring of it, as a stranger could register. */
export function suffixOf(email: string, n = 2) {
  return email.slice(n);
}

type Rows = Record<string, string[]>;

/**
 * Everything the victim owns, read through separate read-only connections, each in one read
 * transaction (a consistent snapshot): every row of every table of its file plus its schema (triggers
 * included: a suspended trigger left behind is a change), its blobs, and its rows in the control DB.
 * Sessions are compared by id only (they record last use), the security log by the rows that existed
 * when the world was built (new events may be appended: a failed sign-in with a member's address is
 * logged against their account on purpose). The connections stay open between reads: the suite reads
 * this about nine hundred times.
 */
export class VictimReader {
  readonly #file: Database.Database;
  readonly #control: Database.Database;
  readonly #securityLogUpTo: number;

  constructor(
    readonly instance: Instance,
    readonly victim: Victim,
  ) {
    this.#file = new Database(tenantFilePath(instance.dataDir, victim.tenantId), { readonly: true, fileMustExist: true });
    this.#control = new Database(`${instance.dataDir}/control.sqlite`, { readonly: true, fileMustExist: true });
    this.#securityLogUpTo = this.#control.prepare("select coalesce(max(id), 0) from security_log").pluck().get() as number;
  }

  state(): Rows {
    return { ...this.#tenantState(), blobs: this.#blobs(), ...this.#controlState() };
  }

  close() {
    this.#file.close();
    this.#control.close();
  }

  #tenantState = () =>
    this.#file.transaction(() => {
      const state: Rows = { "tenant:(schema)": rowsOf(this.#file, "select type, name, sql from sqlite_master order by type, name") };
      for (const table of this.#file.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all() as string[])
        state[`tenant:${table}`] = rowsOf(this.#file, `select * from "${table}" order by rowid`);
      return state;
    })();

  #blobs() {
    const dir = blobDir(this.instance.dataDir, this.victim.tenantId);
    if (!existsSync(dir)) return [];
    return filesUnder(dir).map((f) => `${relative(dir, f)} ${createHash("sha256").update(readFileSync(f)).digest("hex")}`);
  }

  #controlState = () =>
    this.#control.transaction(() => {
      const db = this.#control;
      const { tenantId, memberIds } = this.victim;
      const members = JSON.stringify(memberIds);
      const state: Rows = { "control:tenants": rowsOf(db, "select * from tenants where id = ?", tenantId) };
      for (const table of ["memberships", "invitations", "support_grants", "api_tokens", "org_exports"])
        state[`control:${table}`] = rowsOf(db, `select * from ${table} where tenant_id = ? order by rowid`, tenantId);
      state["control:users"] = rowsOf(db, "select * from users where id in (select value from json_each(?)) order by id", members);
      state["control:sessions (ids)"] = rowsOf(
        db,
        "select id, user_id from sessions where user_id in (select value from json_each(?)) order by id",
        members,
      );
      state["control:security_log (existing rows)"] = rowsOf(
        db,
        "select * from security_log where user_id in (select value from json_each(?)) and id <= ? order by id",
        members,
        this.#securityLogUpTo,
      );
      return state;
    })();
}

function rowsOf(db: Database.Database, sql: string, ...params: unknown[]) {
  return db
    .prepare(sql)
    .all(...params)
    .map((r) => JSON.stringify(r));
}

/** What changed, table by table: rows gone and rows new (a changed row is one of each). Empty when nothing did. */
export function stateDiff(before: Rows, after: Rows) {
  const diff: Record<string, { removed: string[]; added: string[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[table] ?? [];
    const a = after[table] ?? [];
    const removed = b.filter((r) => !a.includes(r));
    const added = a.filter((r) => !b.includes(r));
    if (removed.length || added.length) diff[table] = { removed, added };
  }
  return diff;
}
