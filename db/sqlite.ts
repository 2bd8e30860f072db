import Database from "better-sqlite3";
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from "kysely";

export type Synchronous = "FULL" | "NORMAL";

export interface OpenOptions {
  synchronous: Synchronous;
  /** Refuse to create the file: the tenant pool only opens files that provisioning made. */
  mustExist?: boolean;
}

/** Opens a SQLite file with every pragma set explicitly, so no behaviour depends on build defaults. */
export function openSqlite(path: string, options: OpenOptions): Database.Database {
  const db = new Database(path, { fileMustExist: options.mustExist ?? false });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`);
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Kysely prepares every statement anew; better-sqlite3 statements are reusable and all of ours
 * run to completion synchronously, so caching them by SQL text is safe and saves a parse per query.
 */
function withStatementCache(db: Database.Database, max = 200) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/** Writes take the write lock up front, so a read-then-write transaction never fails with SQLITE_BUSY mid-way. */
class ImmediateSqliteDriver extends SqliteDriver implements Driver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

export function kyselyFor<DB>(db: Database.Database): Kysely<DB> {
  return new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(db) }) });
}
