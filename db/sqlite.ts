import Database from "better-sqlite3";
import {
  CompiledQuery,
  createQueryId,
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
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
    // SQLite's lower() folds ASCII only; account deletion matches names like "Émilie" against a
    // JavaScript toLowerCase() needle, so the SQL side needs the same Unicode folding.
    db.function("unicode_lower", { deterministic: true }, (s: unknown) => (typeof s === "string" ? s.toLowerCase() : s));
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
    get inTransaction() {
      return db.inTransaction;
    },
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

/**
 * Writes take the write lock up front, so a read-then-write transaction never fails with SQLITE_BUSY
 * mid-way. It also knows whether its one connection is lent out (to a query or a transaction).
 */
class ImmediateSqliteDriver extends SqliteDriver implements Driver {
  #ready = false;
  #lent = false;
  readonly #database: { readonly inTransaction: boolean };

  constructor(config: SqliteDialectConfig & { database: { readonly inTransaction: boolean } }) {
    super(config);
    this.#database = config.database;
  }

  override async init(): Promise<void> {
    await super.init();
    this.#ready = true;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    this.#lent = true;
    return connection;
  }

  override async releaseConnection(): Promise<void> {
    this.#lent = false;
    await super.releaseConnection();
  }

  override async destroy(): Promise<void> {
    this.#ready = false;
    await super.destroy();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }

  /**
   * SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM (and a failed COMMIT) may already have rolled the whole
   * transaction back (SQLite's "Response To Errors Within A Transaction"). Kysely then calls this
   * before rethrowing the statement's error; an unconditional ROLLBACK would fail with "cannot
   * rollback - no transaction is active" and be thrown instead, masking the real error (issue 27).
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#database.inTransaction) return;
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  /** Open, and no query or transaction holds the connection. */
  get idle() {
    return this.#ready && !this.#lent;
  }
}

type StatementCache = ReturnType<typeof withStatementCache>;

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig & { database: StatementCache };
  /** The driver Kysely asked for; a Kysely instance asks once, when it is constructed. */
  driver: ImmediateSqliteDriver | undefined;
  constructor(config: SqliteDialectConfig & { database: StatementCache }) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    this.driver = new ImmediateSqliteDriver(this.#config);
    return this.driver;
  }
}

/** What compileOnce needs to run a statement itself on a handle made by kyselyFor. */
interface DirectAccess {
  driver: ImmediateSqliteDriver;
  statements: StatementCache;
}
const directAccess = new WeakMap<object, DirectAccess>();

export function kyselyFor<DB>(db: Database.Database): Kysely<DB> {
  const statements = withStatementCache(db);
  const dialect = new ImmediateSqliteDialect({ database: statements });
  const kysely = new Kysely<DB>({ dialect });
  directAccess.set(kysely, { driver: dialect.driver!, statements });
  return kysely;
}

/**
 * Closes a handle made by kyselyFor. Kysely's destroy() closes the file only if its driver was
 * initialised, i.e. if some query ran through Kysely; a pool handle that only answered the raw
 * migrations check would otherwise keep its three file descriptors after eviction.
 */
export async function destroyHandle<DB>(kysely: Kysely<DB>) {
  await kysely.destroy();
  directAccess.get(kysely)?.statements.close();
}

/**
 * Builds SQL for `compileOnce` and nothing else: same adapter and compiler as kyselyFor's dialect,
 * no connection. kyselyFor adds no plugins; if it ever does, compileOnce must apply them too.
 */
const sqlCompiler = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** Stands in for a value while the query is compiled; replaced by the call's value on every execution. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** Any handle or transaction, whatever its schema: a compiled statement only needs to run. */
type QueryRunner = Pick<Kysely<unknown>, "executeQuery">;

export interface CompiledOnce<V, O> {
  readonly sql: string;
  execute(db: QueryRunner, values: V): Promise<O[]>;
  executeTakeFirst(db: QueryRunner, values: V): Promise<O | undefined>;
}

/**
 * A select built and compiled once by Kysely, then run with new values: for the lookups every
 * request makes, where building the query and queueing for the connection cost more than SQLite
 * takes to answer. Only the SQL is kept, never a result: every call reads the database.
 *
 * `build` gets stand-ins for the values (use them only as values: where, limit, offset, sql`${}`);
 * it runs once, and is checked to have bound every stand-in it read.
 *
 * Running: on a handle from kyselyFor whose connection nothing holds, the statement runs at once,
 * synchronously: the same cached statement on the same connection that Kysely's SqliteConnection
 * would use (`all`, or `get` for the first row). Nothing can interleave with a synchronous call, so
 * that is the same as taking and releasing the lock. Otherwise (a query or a transaction holds the connection, or `db` is a
 * transaction) it goes through `db.executeQuery` and waits its turn like any Kysely query.
 */
export function compileOnce<DB, V extends object, O>(build: (db: Kysely<DB>, values: V) => Compilable<O>): CompiledOnce<V, O> {
  const read = new Set<string>();
  const stand = new Proxy({} as V, {
    get: (_, name) => {
      read.add(String(name));
      return new Placeholder(String(name));
    },
  });
  const template = build(sqlCompiler as Kysely<DB>, stand).compile();
  if (template.query.kind !== "SelectQueryNode") throw new Error(`compileOnce is for selects only: ${template.sql}`);
  const used = new Set(template.parameters.flatMap((p) => (p instanceof Placeholder ? [p.name] : [])));
  const misused = [...read].filter((name) => !used.has(name));
  if (misused.length || template.sql.includes("[object Object]")) {
    throw new Error(`compileOnce: ${misused.join(", ") || "a value"} used other than as a bound value in: ${template.sql}`);
  }

  const parametersFor = (values: V) => {
    for (const name of used) if (!(name in values)) throw new Error(`compileOnce: no value for "${name}"`);
    return template.parameters.map((p) => (p instanceof Placeholder ? (values as Record<string, unknown>)[p.name] : p));
  };
  const viaKysely = (db: QueryRunner, parameters: unknown[]) =>
    db.executeQuery<O>({ ...template, queryId: createQueryId(), parameters }).then((result) => result.rows);

  return {
    sql: template.sql,
    async execute(db, values) {
      const parameters = parametersFor(values);
      const direct = directAccess.get(db);
      if (direct?.driver.idle) return direct.statements.prepare(template.sql).all(parameters) as O[];
      return viaKysely(db, parameters);
    },
    async executeTakeFirst(db, values) {
      const parameters = parametersFor(values);
      const direct = directAccess.get(db);
      if (direct?.driver.idle) return direct.statements.prepare(template.sql).get(parameters) as O | undefined;
      return (await viaKysely(db, parameters))[0];
    },
  };
}
