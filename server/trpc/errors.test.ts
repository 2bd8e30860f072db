import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { fileRuleRefusal } from "./errors";

/** The real errors better-sqlite3 throws when a file's own rule refuses a write. */
function refusalOf(statement: string) {
  const db = new Database(":memory:");
  db.exec(`create table t (n integer check (n >= 0));
    create trigger t_positive before insert on t when new.n = 7 begin select raise(abort, 'seven is refused here'); end;`);
  try {
    db.exec(statement);
    return null;
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
}

describe("fileRuleRefusal", () => {
  it("turns a trigger's sentence into a 409 that carries it", () => {
    const refused = fileRuleRefusal(refusalOf("insert into t values (7)"));
    expect(refused?.code).toBe("CONFLICT");
    expect(refused?.message).toBe("This change was refused: seven is refused here.");
  });

  it("turns a CHECK failure into a 409 without the SQL expression", () => {
    const refused = fileRuleRefusal(refusalOf("insert into t values (-1)"));
    expect(refused?.code).toBe("CONFLICT");
    expect(refused?.message).not.toMatch(/n >= 0|CHECK/);
  });

  it("leaves every other error alone", () => {
    expect(refusalOf("insert into t values (1)")).toBeNull();
    expect(fileRuleRefusal(refusalOf("insert into missing values (1)"))).toBeNull();
    expect(fileRuleRefusal(new Error("boom"))).toBeNull();
  });
});
