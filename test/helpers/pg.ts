// Shared PGlite harness for every test that executes SQL on PostgreSQL.
//
// Costs, measured on this machine (2 cores, Node 20, PGlite 0.5.16 = PostgreSQL 18.6 WASM):
// - `new PGlite()` (initdb): 2.3–4.8 s for the first in a process, ~1.5–1.8 s later;
// - loading a dumped data dir instead: ~0.7 s for the first in a process, ~0.3–0.5 s later.
//   getDb()/freshDb() load a template kept in .cache/ (built once per machine: initdb + roles);
// - one `inRollback` case (BEGIN, a few DDL statements, SET ROLE, a count, ROLLBACK): 2–10 ms.
// So: one `getDb()` per test file, every case inside `inRollback`, and `freshDb()` only for
// cases that break the instance (PGlite's deep-recursion gap, TRUTHS T02/T05/T06).
//
// Usage:
//   const db = await getDb();           // shared, standard roles already created
//   await inRollback(db, async (q) => {
//     await asOwner(q, `CREATE TABLE t (…); ALTER TABLE t ENABLE ROW LEVEL SECURITY; …`);
//     await q(`SET ROLE authenticated`);
//     assert.equal(await count(q, 't'), 0);
//     await expectPgError(q(`INSERT INTO t VALUES (1)`), '42501'); // aborts the transaction: last statement
//     // or, to continue afterwards:
//     const r = await tryQuery(q, `INSERT INTO t VALUES (1)`); // { ok: false, error: { code: '42501', … } }
//   });
//   after(closeAll);                    // optional: closes every instance this file opened
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { writeFileAtomic } from '../../server/src/io/files.js';

export type Row = Record<string, any>;

/** A query function bound to one instance. Without params, `sql` may hold several statements
 * (simple protocol; the rows of the last statement are returned). With params it must be one
 * statement. Throws the PostgreSQL error (with `.code`), or a DeadInstanceError. */
export interface Q {
  (sql: string, params?: unknown[]): Promise<Row[]>;
  readonly db: PGlite;
}

export interface PgErr {
  code: string;
  message: string;
  /** 1-based character position in the statement, when PostgreSQL reports one */
  position?: number;
  /** set when the instance died (PGlite's deep-recursion gap; 54001 on a real server) */
  dead?: boolean;
}

/** PGlite's fidelity gap (TRUTHS T02/T05): deep recursion does not raise 54001, the query
 * returns an empty result without columns and every later query on the instance does too. */
export class DeadInstanceError extends Error {
  readonly code = '54001';
  readonly dead = true;
  constructor(sql: string) {
    super(`stack depth limit exceeded (PGlite instance died; 54001 on a real server) while running: ${sql.slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Instances

export interface RoleDef {
  name: string;
  superuser?: boolean;
  bypassrls?: boolean;
  login?: boolean;
  /** grant CREATE, USAGE ON SCHEMA public (table owners) */
  createInPublic?: boolean;
  /** roles this role is made a member of */
  memberOf?: string[];
}

/** The roles every test can rely on (created by getDb/freshDb). `app_owner` is a NON-superuser
 * that owns tables (superusers always bypass RLS); `bypass_owner` has BYPASSRLS. */
export const STANDARD_ROLES: RoleDef[] = [
  { name: 'authenticated' },
  { name: 'anon' },
  { name: 'service_role', bypassrls: true },
  { name: 'admin_role' },
  { name: 'app_owner', createInPublic: true },
  { name: 'bypass_owner', bypassrls: true, createInPublic: true },
];

/** PGlite's default user, a superuser. */
export const SUPERUSER = 'postgres';

let shared: Promise<PGlite> | undefined;
let template: Promise<Blob> | undefined;
const opened = new Set<PGlite>();
const rolesDone = new WeakMap<PGlite, Set<string>>();

async function start(loadDataDir?: Blob): Promise<PGlite> {
  const db = loadDataDir ? new PGlite({ loadDataDir }) : new PGlite();
  await db.waitReady;
  opened.add(db);
  return db;
}

// The template: a dumped data directory of a fresh instance with the standard roles. Kept on
// disk (.cache/, gitignored) so every test process loads it (~0.7 s) instead of running initdb
// (~2.3–4 s). The file name carries PGlite's version and a hash of STANDARD_ROLES.
function templateFile(): string {
  const pkg = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  const hash = createHash('sha256').update(JSON.stringify(STANDARD_ROLES)).digest('hex').slice(0, 12);
  return join(__dirname, '..', '..', '.cache', `pglite-${version}-${hash}.tar`);
}

function getTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = templateFile();
    try {
      return new Blob([readFileSync(file)]);
    } catch {
      // not cached yet
    }
    const db = await start();
    await ensureRoles(db);
    const blob = await db.dumpDataDir('none');
    await closeDb(db);
    // atomic: concurrent test processes may write it at the same time; a read-only checkout:
    // every process builds its own
    writeFileAtomic(file, Buffer.from(await blob.arrayBuffer()));
    return blob;
  })();
  return template;
}

/** The instance shared by the tests of this file (standard roles created). If a test killed
 * it (see isDead), the next call returns a fresh one. */
export async function getDb(): Promise<PGlite> {
  if (shared) {
    const db = await shared;
    if (!db.closed && !deadDbs.has(db)) return db;
  }
  shared = freshDb();
  return shared;
}

/** A new instance for a test that breaks it (standard roles created), loaded from the
 * template (~0.5 s). Close it when done (`closeDb(db)`), or use withFreshDb. */
export async function freshDb(): Promise<PGlite> {
  const db = await start(await getTemplate());
  rolesDone.set(db, new Set(STANDARD_ROLES.map((r) => r.name)));
  return db;
}

export async function closeDb(db: PGlite): Promise<void> {
  opened.delete(db);
  if (!db.closed) await db.close().catch(() => undefined);
}

/** Closes every instance this process opened (use with `after(closeAll)`). */
export async function closeAll(): Promise<void> {
  await Promise.all([...opened].map(closeDb));
  shared = undefined;
}

/** Creates the roles (committed; roles are cluster-wide), once per instance. Idempotent.
 * Strings are plain NOLOGIN roles. Call outside a transaction. */
export async function ensureRoles(db: PGlite, spec: Array<string | RoleDef> = STANDARD_ROLES): Promise<void> {
  let done = rolesDone.get(db);
  if (!done) rolesDone.set(db, (done = new Set()));
  const sql: string[] = [];
  for (const s of spec) {
    const r: RoleDef = typeof s === 'string' ? { name: s } : s;
    if (done.has(r.name)) continue;
    const id = quoteIdent(r.name);
    const attrs = [r.login ? 'LOGIN' : 'NOLOGIN', r.superuser ? 'SUPERUSER' : 'NOSUPERUSER', r.bypassrls ? 'BYPASSRLS' : 'NOBYPASSRLS'].join(' ');
    sql.push(
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(r.name)}) THEN CREATE ROLE ${id} ${attrs}; ELSE ALTER ROLE ${id} ${attrs}; END IF; END $$;`,
    );
    if (r.createInPublic) sql.push(`GRANT CREATE, USAGE ON SCHEMA public TO ${id};`);
    for (const m of r.memberOf ?? []) sql.push(`GRANT ${quoteIdent(m)} TO ${id};`);
    done.add(r.name);
  }
  if (sql.length) await db.exec(sql.join('\n'));
}

// ---------------------------------------------------------------------------------------
// Queries

const deadDbs = new WeakSet<PGlite>();
const RETURNS_ROWS = /^\s*(\(\s*)*(select|with|values|table|show|explain)\b/i;

function stripLeadingComments(sql: string): string {
  return sql.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*/, '');
}

/** A Q for `db` (used by inRollback; handy on its own for setup outside a transaction). */
export function queryFn(db: PGlite): Q {
  const q = async (sql: string, params?: unknown[]): Promise<Row[]> => {
    if (deadDbs.has(db)) throw new DeadInstanceError(sql);
    let res: { rows: Row[]; fields: unknown[] };
    if (params) res = await db.query<Row>(sql, params);
    else {
      const all = await db.exec(sql);
      res = (all[all.length - 1] as { rows: Row[]; fields: unknown[] } | undefined) ?? { rows: [], fields: [] };
      // The gap shows as a single empty result, whatever the number of statements sent.
      if (all.length === 1 && splitsInto(sql) > 1 && res.fields.length === 0) {
        deadDbs.add(db);
        throw new DeadInstanceError(sql);
      }
    }
    if (res.fields.length === 0 && RETURNS_ROWS.test(stripLeadingComments(lastStatement(sql)))) {
      // a row-returning statement came back without columns: the instance is dead
      deadDbs.add(db);
      throw new DeadInstanceError(sql);
    }
    return res.rows;
  };
  return Object.assign(q, { db }) as Q;
}

/** Rough statement count (only used to notice a multi-statement exec that came back as one
 * empty result); honours quotes, dollar quotes and comments. */
function splitsInto(sql: string): number {
  return sqlStatements(sql).length;
}

function lastStatement(sql: string): string {
  const s = sqlStatements(sql);
  return s[s.length - 1] ?? '';
}

/** Splits SQL at top-level semicolons (quotes, dollar quotes, comments honoured). */
export function sqlStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < n && !(sql[i] === c && sql[i + 1] !== c)) i += sql[i] === c ? 2 : 1;
      i++;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ' ')) {
        const e = sql.indexOf(m[0], i + m[0].length);
        i = e < 0 ? n : e + m[0].length;
      } else i++;
    } else if (c === ';') {
      if (stripLeadingComments(sql.slice(start, i)).trim()) out.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  if (stripLeadingComments(sql.slice(start)).trim()) out.push(sql.slice(start));
  return out;
}

/** True when the instance no longer answers `SELECT 1` with a row (PGlite's recursion gap). */
export async function isDead(db: PGlite): Promise<boolean> {
  if (deadDbs.has(db) || db.closed) return true;
  try {
    const r = await db.query('SELECT 1 AS one');
    if (r.rows.length === 1) return false;
  } catch {
    // an error is an answer: alive
    return false;
  }
  deadDbs.add(db);
  return true;
}

/**
 * Runs `fn` inside `BEGIN … ROLLBACK`. The rollback always happens (also on error) and undoes
 * DDL, data, `SET`/`SET LOCAL`/`set_config` and `ALTER ROLE`. Afterwards: `RESET ROLE`, the
 * session authorization back to PGlite's superuser (`SET SESSION AUTHORIZATION postgres`: PGlite
 * stays the role a SET SESSION AUTHORIZATION made it on RESET, DEFAULT or a ROLLBACK of the SET,
 * so a test's `SET SESSION AUTHORIZATION alice` left the instance's later tests with session_user
 * alice), `DEALLOCATE ALL` (PREPARE is not transactional). If the
 * instance died inside, the DeadInstanceError propagates and getDb() will start a new one.
 */
export async function inRollback<T>(db: PGlite, fn: (q: Q) => Promise<T>): Promise<T> {
  const q = queryFn(db);
  await q('BEGIN');
  try {
    return await fn(q);
  } finally {
    if (!deadDbs.has(db)) {
      await db.exec('ROLLBACK; SET SESSION AUTHORIZATION postgres; RESET ROLE; DEALLOCATE ALL;');
    }
  }
}

/**
 * Runs `sql` inside `SAVEPOINT` so an error does not abort the surrounding transaction.
 * Returns the rows, or the error (the savepoint is rolled back, which also undoes any
 * `SET ROLE` inside `sql`). A DeadInstanceError is returned as an error with `dead: true`.
 */
export async function tryQuery(q: Q, sql: string, params?: unknown[]): Promise<{ ok: true; rows: Row[] } | { ok: false; error: PgErr }> {
  await q('SAVEPOINT try_query');
  try {
    const rows = await q(sql, params);
    await q('RELEASE SAVEPOINT try_query');
    return { ok: true, rows };
  } catch (e) {
    const error = toPgErr(e);
    if (!error) throw e;
    if (!error.dead) await q('ROLLBACK TO SAVEPOINT try_query; RELEASE SAVEPOINT try_query');
    return { ok: false, error };
  }
}

/** Converts a thrown value to a PgErr, or undefined if it is not a PostgreSQL error. */
export function toPgErr(e: unknown): PgErr | undefined {
  if (e instanceof DeadInstanceError) return { code: e.code, message: e.message, dead: true };
  const x = e as { code?: unknown; message?: unknown; position?: unknown };
  if (x && typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code)) {
    const pos = x.position !== undefined ? Number(x.position) : undefined;
    return { code: x.code, message: String(x.message), ...(pos ? { position: pos } : {}) };
  }
  return undefined;
}

/** Awaits `p`; returns null if it resolved, the PostgreSQL error if it rejected with one,
 * and rethrows anything else. */
export async function pgError(p: Promise<unknown>): Promise<PgErr | null> {
  try {
    await p;
    return null;
  } catch (e) {
    const err = toPgErr(e);
    if (!err) throw e;
    return err;
  }
}

/** Asserts that `p` fails with SQLSTATE `code` (and, optionally, a message matching `message`). */
export async function expectPgError(p: Promise<unknown>, code: string, message?: RegExp | string): Promise<PgErr> {
  const err = await pgError(p);
  if (!err) throw new Error(`expected PostgreSQL error ${code}, but the statement succeeded`);
  if (err.code !== code) throw new Error(`expected PostgreSQL error ${code}, got ${err.code}: ${err.message}`);
  if (message !== undefined) {
    const ok = typeof message === 'string' ? err.message.includes(message) : message.test(err.message);
    if (!ok) throw new Error(`error ${code} message ${JSON.stringify(err.message)} does not match ${String(message)}`);
  }
  return err;
}

/** `SELECT count(*)` of a table name or a query. Throws DeadInstanceError when the count comes
 * back without a row (the recursion gap). */
export async function count(q: Q, tableOrQuery: string): Promise<number> {
  const sql = /^\s*(select|with|values|table)\b/i.test(tableOrQuery)
    ? `SELECT count(*)::int AS n FROM (${tableOrQuery}) AS sub`
    : `SELECT count(*)::int AS n FROM ${tableOrQuery}`;
  const rows = await q(sql);
  if (rows.length !== 1) {
    deadDbs.add(q.db);
    throw new DeadInstanceError(sql);
  }
  return rows[0]!.n as number;
}

/** Runs one INSERT/UPDATE/DELETE and returns the number of rows it affected. */
export async function affected(q: Q, sql: string, params?: unknown[]): Promise<number> {
  const res = await q.db.query(sql, params ?? []);
  return res.affectedRows ?? 0;
}

/** Runs `sql` as `role` (SET ROLE … ; sql ; RESET ROLE) and returns the last statement's rows.
 * On error the role is left set, but the transaction is aborted anyway. */
export async function asRole(q: Q, role: string, sql: string, params?: unknown[]): Promise<Row[]> {
  await q(`SET ROLE ${quoteIdent(role)}`);
  const rows = await q(sql, params);
  await q('RESET ROLE');
  return rows;
}

/** Runs DDL as the non-superuser table owner `app_owner`, so the objects it creates are owned
 * by a role subject to FORCE ROW LEVEL SECURITY. */
export function asOwner(q: Q, sql: string, owner = 'app_owner'): Promise<Row[]> {
  return asRole(q, owner, sql);
}

/** Runs `fn` on a throwaway instance that is closed afterwards (for cases that kill it). */
export async function withFreshDb<T>(fn: (db: PGlite) => Promise<T>): Promise<T> {
  const db = await freshDb();
  try {
    return await fn(db);
  } finally {
    await closeDb(db);
  }
}

/**
 * PGlite's recursion gap (TRUTHS T05/T06): on a throwaway instance, after `setup`, `probe` fails
 * with 54001 (stack depth limit exceeded) and the instance answers nothing afterwards.
 * PostgreSQL raises the same 54001 and stays up; when PGlite does too, this says so.
 */
export async function expectRecursionGap(setup: (q: Q) => Promise<unknown>, probe: (q: Q) => Promise<unknown>): Promise<void> {
  await withFreshDb(async (fresh) => {
    await inRollback(fresh, async (q) => {
      await setup(q);
      const err = await pgError(probe(q));
      assert.ok(err, 'expected the recursion to fail');
      assert.equal(err.code, '54001');
      assert.equal(err.dead, true, 'PGlite now raises a real error: update TRUTHS.md and the verifier');
    }).catch((e) => {
      if ((e as { dead?: boolean }).dead) return;
      throw e;
    });
    assert.equal(await isDead(fresh), true);
  });
}

export function quoteIdent(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

export function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Runs each statement of `sql` on its own, as psql without ON_ERROR_STOP does: each in a
 * savepoint, a failing one rolled back and the next run. Returns the failing statements with
 * their error, in order.
 */
export async function runEachStatement(q: Q, sql: string): Promise<Array<{ sql: string; code: string; message: string }>> {
  const errors: Array<{ sql: string; code: string; message: string }> = [];
  for (const s of sqlStatements(sql)) {
    await q('SAVEPOINT run_each');
    const r = await tryQuery(q, s);
    if (r.ok) await q('RELEASE SAVEPOINT run_each');
    else {
      await q('ROLLBACK TO SAVEPOINT run_each');
      errors.push({ sql: s, code: r.error.code, message: r.error.message });
    }
  }
  return errors;
}

/**
 * Runs each file in a transaction of its own, as the Supabase CLI runs migrations (a savepoint
 * here): a file that fails is rolled back whole. The SQLSTATE of each, or 'ok'.
 */
export async function runFilesInTransactions(q: Q, files: ReadonlyArray<{ text: string }>): Promise<string[]> {
  const codes: string[] = [];
  for (const f of files) {
    await q('SAVEPOINT file');
    const code = await q(f.text).then(
      () => 'ok',
      (e: { code?: string }) => e.code ?? '?',
    );
    await q(code === 'ok' ? 'RELEASE SAVEPOINT file' : 'ROLLBACK TO SAVEPOINT file');
    codes.push(code);
  }
  return codes;
}
