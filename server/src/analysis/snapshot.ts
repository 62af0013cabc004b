// Schema snapshots. Some projects keep a dump of the schema the migrations build beside them
// (graphile-migrate's `data/schema.sql`, written after each migration; a `schema.sql` kept for
// review; a sqitch project's deploy scripts bundled as an extension script): it re-creates what
// the migrations create, and PostgreSQL would reject it after them (42P06, 42P07, 42723). It is
// not a migration: the model does not replay it (its findings belong to the migrations that make
// each object), nor does verify run it. A dump whose tables no migration before it creates
// (Rails' `db/structure.sql` with Ruby migrations, a baseline dump as the first migration, which
// the next ones alter; `supabase/backup.sql` before `supabase/migrations/`) is the schema's
// source, or its baseline: it is replayed. So is a dump-like migration that PostgreSQL runs after
// them and that changes what they made (changes()). Pure.
import { PLATFORM_SCHEMAS } from './ast.js';
import { graphileRanks, type GraphileMigrate } from './graphile-migrate.js';
import { nameParts } from './parse.js';
import { rollbackSections } from './model.js';
import type { Database } from './databases.js';
import { decodedId } from './file-id.js';
import type { Node, ParsedFile, Statement } from './types.js';
import { folderOf as folderOfPath } from './unseen.js';

/**
 * pg_dump's and pg_dumpall's header, at the top of the file; or an extension script's guard
 * (`\echo Use "CREATE EXTENSION x" to load this file. \quit`: psql stops there, and only
 * CREATE EXTENSION runs it), as sqitch/pgpm projects bundle their deploy scripts into
 * `sql/<name>--<version>.sql`.
 */
const DUMP_HEADER = /^\uFEFF?\s*(?:--[^\n]*\n--\s*PostgreSQL database (?:cluster )?dump\b|(?:--[^\n]*\n\s*)*\\echo Use "(?:CREATE|ALTER) EXTENSION)/i;

/** pg_dump's preamble, which `supabase db dump` keeps when it drops the header comments. */
const DUMP_PREAMBLE = /^\s*SET statement_timeout = 0;[\s\S]*^\s*SELECT pg_catalog\.set_config\('search_path', '', false\);/m;

/**
 * The names schema files are kept under beside migrations without a dump's header: Sourcegraph's
 * `squashed.sql` (written by its migrator, one per schema), Rails' `structure.sql`, a
 * `schema.sql`. Not in `supabase/schemas/`, Supabase's declarative schema, which the model replays.
 */
const SNAPSHOT_NAME = /(?:^|[\\/])(?:squashed|structure|schema)\.sql$/i;
const DECLARATIVE = /(?:^|[\\/])supabase[\\/]schemas[\\/]/;

const dumpCache = new WeakMap<ParsedFile, boolean>();
function isDump(f: ParsedFile): boolean {
  let hit = dumpCache.get(f);
  if (hit === undefined) {
    const head = f.text.slice(0, 2000);
    dumpCache.set(f, (hit = DUMP_HEADER.test(head) || DUMP_PREAMBLE.test(head) || (SNAPSHOT_NAME.test(f.file) && !DECLARATIVE.test(f.file))));
  }
  return hit;
}

/**
 * `schema.name` of each table a file's statements create; unqualified, `*.name` (a migration's
 * `SET search_path = app` puts it in app, which its dump then writes `app.name`).
 */
function tablesCreated(f: ParsedFile): readonly string[] {
  // (kept per parsed file: read of its statements' nodes alone; every model build asks it of
  // every file where the workspace has a skipped Supabase file or a dump)
  let out = tablesMade.get(f);
  if (out === undefined) {
    const list: string[] = [];
    for (const s of replayed(f)) {
      if (s.origin !== 'file' || s.kind !== 'CreateStmt') continue;
      const rel = s.node?.relation;
      if (rel?.relname) list.push(`${rel.schemaname ?? '*'}.${rel.relname}`);
    }
    tablesMade.set(f, (out = list));
  }
  return out;
}
const tablesMade = new WeakMap<ParsedFile, readonly string[]>();

/**
 * The tables a file's statements make under a name: those it creates, and those it renames to one
 * (`ALTER TABLE account RENAME TO raw_account`: the name a dump of the result writes; a plain
 * CREATE TABLE of it after that file fails, 42P07, as after a CREATE). Same keys as tablesCreated.
 */
function tablesNamed(f: ParsedFile): readonly string[] {
  let out = tablesRenamed.get(f);
  if (out === undefined) {
    const list = [...tablesCreated(f)];
    for (const s of replayed(f)) {
      if (s.origin !== 'file' || s.kind !== 'RenameStmt') continue;
      const n = s.node;
      if (n?.renameType !== 'OBJECT_TABLE' || typeof n.newname !== 'string' || !n.relation?.relname) continue;
      list.push(`${n.relation.schemaname ?? '*'}.${n.newname}`);
    }
    tablesRenamed.set(f, (out = list));
  }
  return out;
}
const tablesRenamed = new WeakMap<ParsedFile, readonly string[]>();

/**
 * The files among `ordered` (in migration order) that are snapshots of what the files before
 * them create: a dump or extension script (by its header, or pg_dump's preamble, or a schema
 * file's name: SNAPSHOT_NAME) at least half
 * of whose tables (outside Supabase's own schemas) a file before it that is not one creates, or
 * renames to that name (tablesNamed: useVenice/venice's apps/web/schema.sql dumps raw_account,
 * resource… which its migrations make as account, connection… and rename) (a
 * dump replayed as the baseline counts: regen-server's migrations/schema_snapshot.sql, the pg_dump
 * graphile-migrate's afterAllMigrations writes, re-makes its initial_schema.sql's tables). A
 * dump that comes first (`supabase/backup.sql` sorts before `supabase/migrations/`) is the
 * baseline the migrations after it are replayed on: it holds what they do not make (auth.users,
 * objects made in a dashboard), and it is replayed.
 */
export function schemaSnapshots(ordered: readonly ParsedFile[]): Set<ParsedFile> {
  const out = new Set<ParsedFile>();
  if (!ordered.some(isDump)) return out;
  // in one pass: where each table is first made by a file that is no dump, and whether each dump
  // re-creates at least half of its tables made before it
  const firstMade = new Map<string, number>();
  ordered.forEach((f, at) => {
    if (!isDump(f)) {
      for (const t of tablesNamed(f)) if (!firstMade.has(t)) firstMade.set(t, at);
      return;
    }
    // (a whole database's dump holds Supabase's own tables too, auth.users…, which no migration makes)
    // (a dump's unqualified table is public's)
    const tables = tablesCreated(f)
      .map(asPublic)
      .filter((t) => !PLATFORM_SCHEMAS.has(t.slice(0, t.indexOf('.'))));
    const madeAt = (t: string) => Math.min(firstMade.get(t) ?? Infinity, firstMade.get(`*${t.slice(t.indexOf('.'))}`) ?? Infinity);
    const before = tables.filter((t) => madeAt(t) < at).length;
    if (tables.length > 0 && before * 2 >= tables.length && !changes(f, ordered.slice(0, at).filter((g) => !out.has(g)))) out.add(f);
    // (a dump replayed as the baseline makes its tables as a migration does: a dump after it that
    // re-creates them is a snapshot of both — graphile-migrate's afterReset dump, and the
    // `pg_dump` its afterAllMigrations writes beside the migrations)
    else for (const t of tables) if (!firstMade.has(t)) firstMade.set(t, at);
  });
  return out;
}

/**
 * The dumps among `ordered` (in migration order) that come before a graphile-migrate project's
 * files and re-make at least half of the tables those files make (as schemaSnapshots counts them):
 * the pg_dump its afterAllMigrations actions write after each migration (graphile/starter's
 * `data/schema.sql`, outside the migrations folder). graphile-migrate never runs a file outside its
 * migrations folder that no afterReset action names, and reset makes the database anew before
 * the afterReset files and the migrations run: such a dump is no baseline they run on, whatever
 * its place in path order (leo91000/postgraphile-standalone-starter's `data/` sorts before
 * `migrations/`: replayed first, its `ALTER DEFAULT PRIVILEGES FOR ROLE anais_coletta_coaching …
 * GRANT ALL ON FUNCTIONS TO anais_coletta_coaching_visitor`, the dumped database's own roles, was
 * said to grant EXECUTE on the definers that committed/000001.sql makes). With the project.
 */
export function graphileDumps(ordered: readonly ParsedFile[], projects: readonly GraphileMigrate[] | undefined): Map<ParsedFile, GraphileMigrate> {
  const out = new Map<ParsedFile, GraphileMigrate>();
  if (!projects?.length || !ordered.some(isDump)) return out;
  const ranks = graphileRanks(ordered, projects);
  for (const p of projects) {
    // the tables the project's afterReset files and migrations make, and where its first file runs
    const made = new Set<string>();
    let first = -1;
    ordered.forEach((f, at) => {
      const r = ranks[at];
      if (r?.project !== p || r.group > 2) return;
      if (first < 0) first = at;
      for (const t of tablesNamed(f)) made.add(t);
    });
    if (first < 0) continue;
    ordered.forEach((f, at) => {
      if (at >= first || ranks[at] !== undefined || !isDump(f) || out.has(f)) return;
      const tables = tablesCreated(f)
        .map(asPublic)
        .filter((t) => !PLATFORM_SCHEMAS.has(t.slice(0, t.indexOf('.'))));
      const again = tables.filter((t) => made.has(t) || made.has(`*${t.slice(t.indexOf('.'))}`)).length;
      if (tables.length > 0 && again * 2 >= tables.length) out.set(f, p);
    });
  }
  return out;
}

/**
 * A file's statements the replay runs: not those of its rollback sections (model.ts
 * rollbackSections: a sqitch revert/ or postgrator .undo. file, a goose Down, dbmate
 * migrate:down or tern drop-below section…), whose DROPs never run (and whose CREATEs neither).
 */
function replayed(f: ParsedFile): readonly Statement[] {
  const sections = rollbackSections(f);
  if (sections.length === 0) return f.statements;
  return f.statements.filter((st) => !sections.some((x) => st.start >= x.start && st.start < x.end));
}

/** A `*.name` key (unqualified) as public's: what a dump's or a later file's unqualified name is. */
const asPublic = (k: string): string => (k.startsWith('*.') ? `public${k.slice(1)}` : k);

/** `schema.name` of a RangeVar, `*.name` unqualified. */
const relKey = (rv: { schemaname?: string; relname?: string } | undefined) => (rv?.relname ? `${rv.schemaname ?? '*'}.${rv.relname}` : undefined);

/** What the files made and left: tables, tables with row-level security on, policies, triggers, functions. */
function madeBy(files: readonly ParsedFile[]) {
  const made = { tables: new Set<string>(), rls: new Set<string>(), policies: new Set<string>(), triggers: new Set<string>(), functions: new Set<string>() };
  for (const f of files)
    for (const s of replayed(f)) {
      const n = s.node;
      if (s.kind === 'CreateStmt') { const t = relKey(n?.relation); if (t) made.tables.add(t); }
      else if (s.kind === 'AlterTableStmt') {
        const t = relKey(n?.relation);
        for (const c of n?.cmds ?? []) {
          const sub = c?.AlterTableCmd?.subtype;
          if (t && sub === 'AT_EnableRowSecurity') made.rls.add(t);
          else if (t && sub === 'AT_DisableRowSecurity') made.rls.delete(t);
        }
      } else if (s.kind === 'CreatePolicyStmt') { const t = relKey(n?.table); if (t) made.policies.add(`${t}\0${n.policy_name}`); }
      else if (s.kind === 'CreateTrigStmt') { const t = relKey(n?.relation); if (t) made.triggers.add(`${t}\0${n.trigname}`); }
      // (by its name alone: a dump qualifies what a migration may not)
      else if (s.kind === 'CreateFunctionStmt') { const name = nameParts(n?.funcname).at(-1); if (name) made.functions.add(name); }
      // (a table or policy a later file drops is no longer made: written either way, qualified or not)
      else if (s.kind === 'DropStmt' && (n?.removeType === 'OBJECT_TABLE' || n?.removeType === 'OBJECT_POLICY')) {
        for (const o of n.objects ?? []) {
          const policy = n.removeType === 'OBJECT_POLICY';
          const dropped = policy ? droppedPolicyKey(o) : droppedKey(o);
          if (!dropped) continue;
          const cut = dropped.indexOf('\0');
          const k = policy ? dropped.slice(0, cut) : dropped;
          const forms = [k, asPublic(k), `*${k.slice(k.indexOf('.'))}`];
          for (const f of forms) {
            if (policy) made.policies.delete(`${f}${dropped.slice(cut)}`);
            else {
              made.tables.delete(f);
              made.rls.delete(f);
              for (const p of [...made.policies]) if (p.startsWith(`${f}\0`)) made.policies.delete(p);
            }
          }
        }
      }
    }
  return made;
}

/**
 * Whether a dump re-making the tables of the migrations before it is a migration all the same:
 * PostgreSQL runs it after them (each of those tables re-made `IF NOT EXISTS`, which only raises a
 * notice, no policy of theirs made again, 42710) and it changes what they left (enables row-level
 * security, or makes a policy, trigger or function they do not). InventoryManagment's
 * supabase/migrations/20250926171500_profiles_rls.sql, `supabase db dump`'s output (pg_dump's
 * preamble, `CREATE TABLE IF NOT EXISTS`) on the tables its prisma/migrations/0_init_supabase made,
 * enables row-level security on 13 of them and makes their policies; skipped, they read as never
 * enabled. A dump of what the migrations made re-makes their tables plainly (42P07) or their
 * policies (42710), and adds nothing.
 */
function changes(dump: ParsedFile, before: readonly ParsedFile[]): boolean {
  const made = madeBy(before);
  // (made before under that name, or unqualified: a dump's unqualified name is public's)
  const had = (set: Set<string>, key: string) => {
    const [rel, rest] = key.split('\0', 2) as [string, string | undefined];
    const name = rel.slice(rel.indexOf('.'));
    const q = asPublic(rel);
    const tail = rest === undefined ? '' : `\0${rest}`;
    return set.has(q + tail) || set.has(`*${name}${tail}`);
  };
  const own = madeBy([dump]);
  let changed = false;
  // (what the dump drops before it makes it again: `DROP TABLE IF EXISTS` then CREATE TABLE, `DROP
  // POLICY IF EXISTS` then CREATE POLICY run after the migrations, no 42P07 nor 42710 — pg_dump
  // --clean's pattern, and an idempotent baseline's)
  const drops = new Drops(before);
  for (const s of replayed(dump)) {
    if (s.origin !== 'file') continue;
    const n = s.node;
    drops.see(s);
    if (s.kind === 'CreateStmt') {
      const t = relKey(n?.relation);
      if (t && had(made.tables, t) && !n.if_not_exists && !drops.tableDropped(t)) return false;
    } else if (s.kind === 'CreatePolicyStmt') {
      const t = relKey(n?.table);
      if (!t) continue;
      const key = `${t}\0${n.policy_name}`;
      if (!had(made.policies, key)) changed = true;
      else if (!drops.policyDropped(key)) return false;
    }
  }
  if (changed) return true;
  for (const t of own.rls) if (had(made.tables, t) && !had(made.rls, t)) return true;
  for (const k of own.triggers) if (!had(made.triggers, k)) return true;
  for (const fn of own.functions) if (!made.functions.has(fn)) return true;
  // (and what it drops and does not make again as the migrations left it: a table gone, row-level
  // security off on a table it makes again, a policy or trigger gone)
  if (drops.any()) {
    const mine = (set: Set<string>) => new Set([...set].map((k) => asPublic(k)));
    const ownTables = mine(own.tables);
    const ownRls = mine(own.rls);
    const ownPolicies = mine(own.policies);
    const ownTriggers = mine(own.triggers);
    for (const t of made.tables) if (drops.tableDropped(t) && !ownTables.has(asPublic(t))) return true;
    for (const t of made.rls) if (drops.tableDropped(t) && !ownRls.has(asPublic(t))) return true;
    for (const k of made.policies) if (drops.policyDropped(k) && !ownPolicies.has(asPublic(k))) return true;
    for (const k of made.triggers) if (drops.tableDropped(k.slice(0, k.indexOf('\0'))) && !ownTriggers.has(asPublic(k))) return true;
  }
  return false;
}

/** `schema.table\0policy` of a DROP POLICY's object (a List of names: `[schema.]table`, then the policy), `*.table` unqualified. */
function droppedPolicyKey(o: Node): string | undefined {
  const items: Node[] = o?.List?.items ?? [];
  const rel = droppedKey({ List: { items: items.slice(0, -1) } });
  const name = items[items.length - 1]?.String?.sval;
  return rel && typeof name === 'string' ? `${rel}\0${name}` : undefined;
}

/** `schema.name` of a DROP's object (a List of names), `*.name` unqualified. */
function droppedKey(o: Node): string | undefined {
  const parts: unknown[] = (o?.List?.items ?? []).map((x: Node) => x?.String?.sval);
  if (parts.length === 0 || parts.some((x) => typeof x !== 'string')) return undefined;
  return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : `*.${parts[0]}`;
}

/** What an object the files before made reads: the relations its tree names and the functions it calls (by their last name). */
interface Dependent {
  kind: 'policy' | 'table' | 'view';
  /** asPublic's key: `schema.table\0policy` for a policy */
  key: string;
  rels: Set<string>;
  calls: Set<string>;
}

/** The relations (asPublic's keys) and the functions (last names) named in a tree, but `own`. */
function refsOf(root: unknown, own: string | undefined): { rels: Set<string>; calls: Set<string> } {
  const rels = new Set<string>();
  const calls = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const x = stack.pop();
    if (!x || typeof x !== 'object') continue;
    if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
      continue;
    }
    const o = x as Record<string, unknown>;
    if (typeof o.relname === 'string') {
      const k = asPublic(relKey(o as { schemaname?: string; relname?: string })!);
      if (k !== own) rels.add(k);
    }
    if (Array.isArray(o.funcname)) {
      const name = nameParts(o.funcname).at(-1);
      if (name) calls.add(name);
    }
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
  }
  return { rels, calls };
}

/**
 * What a file drops, statement by statement (see), of what the files before it made: a table, and
 * with it its policies and triggers; a policy; a view; a schema's tables, with CASCADE. CASCADE
 * takes too the policies and views reading the relation, and the policies calling the function,
 * that it drops. A DROP TABLE or DROP VIEW without CASCADE drops only where nothing the files
 * before made depends on the relation any more (another table's FOREIGN KEY, a policy of another
 * table, a view reading it), as pg_dump --clean drops them first: else PostgreSQL rejects the DROP
 * (2BP01), and the table stays. Keys as asPublic makes them.
 */
class Drops {
  private readonly tables = new Set<string>();
  private readonly policies = new Set<string>();
  private readonly views = new Set<string>();
  private readonly schemas = new Set<string>();
  /** tables an ALTER TABLE … DROP CONSTRAINT of the file names (a FOREIGN KEY of theirs may be gone) */
  private readonly constraints = new Set<string>();
  private deps: Dependent[] | undefined;
  constructor(private readonly before: readonly ParsedFile[]) {}

  any(): boolean {
    return this.tables.size + this.policies.size + this.schemas.size !== 0;
  }

  tableDropped(key: string): boolean {
    const k = asPublic(key);
    return this.tables.has(k) || this.schemas.has(k.slice(0, k.indexOf('.')));
  }

  /** `schema.table\0policy` */
  policyDropped(key: string): boolean {
    const k = asPublic(key);
    return this.policies.has(k) || this.tableDropped(k.slice(0, k.indexOf('\0')));
  }

  see(s: Statement): void {
    const n = s.node;
    if (s.kind === 'AlterTableStmt') {
      const t = relKey(n?.relation);
      if (t && (n?.cmds ?? []).some((c: Node) => c?.AlterTableCmd?.subtype === 'AT_DropConstraint')) this.constraints.add(asPublic(t));
      return;
    }
    if (s.kind !== 'DropStmt') return;
    const cascade = n?.behavior === 'DROP_CASCADE';
    const type = n?.removeType;
    for (const o of n?.objects ?? []) {
      if (type === 'OBJECT_POLICY') {
        const key = droppedPolicyKey(o);
        if (key) this.policies.add(asPublic(key));
      } else if (type === 'OBJECT_TABLE' || type === 'OBJECT_FOREIGN_TABLE' || type === 'OBJECT_VIEW' || type === 'OBJECT_MATVIEW') {
        const k = droppedKey(o);
        if (!k) continue;
        const key = asPublic(k);
        if (!cascade && this.dependedOn(key)) continue;
        (type === 'OBJECT_VIEW' || type === 'OBJECT_MATVIEW' ? this.views : this.tables).add(key);
        if (cascade) this.cascade((d) => d.rels.has(key));
      } else if (type === 'OBJECT_FUNCTION' || type === 'OBJECT_PROCEDURE' || type === 'OBJECT_ROUTINE') {
        const name = nameParts((o?.ObjectWithArgs ?? o)?.objname).at(-1);
        if (cascade && name) this.cascade((d) => d.kind === 'policy' && d.calls.has(name));
      } else if (type === 'OBJECT_SCHEMA' && cascade) {
        const name = o?.String?.sval;
        if (typeof name === 'string') this.schemas.add(name);
      }
    }
  }

  /** Drops what depends on a dropped object (`on`): policies and views; a table's FOREIGN KEY, which leaves the table. */
  private cascade(on: (d: Dependent) => boolean): void {
    for (const d of this.dependents()) {
      if (!on(d)) continue;
      if (d.kind === 'policy') this.policies.add(d.key);
      else if (d.kind === 'view') this.views.add(d.key);
      else this.constraints.add(d.key);
    }
  }

  /** Whether something the files before made, and the file has not dropped, still depends on the relation. */
  private dependedOn(key: string): boolean {
    for (const d of this.dependents()) {
      if (!d.rels.has(key)) continue;
      if (d.kind === 'policy' ? !this.policyDropped(d.key) : d.kind === 'view' ? !this.views.has(d.key) : !this.tableDropped(d.key) && !this.constraints.has(d.key)) return true;
    }
    return false;
  }

  /** What the files before made that reads a relation or calls a function (less what they dropped again). Made on first use. */
  private dependents(): Dependent[] {
    if (this.deps) return this.deps;
    let out: Dependent[] = [];
    for (const f of this.before)
      for (const s of replayed(f)) {
        const n = s.node;
        const rel = relKey(s.kind === 'CreatePolicyStmt' ? n?.table : s.kind === 'ViewStmt' ? n?.view : s.kind === 'CreateTableAsStmt' ? n?.into?.rel : n?.relation);
        if (s.kind === 'CreatePolicyStmt' && rel) {
          const key = asPublic(`${rel}\0${n.policy_name}`);
          out = out.filter((d) => !(d.kind === 'policy' && d.key === key));
          out.push({ kind: 'policy', key, ...refsOf([n.qual, n.with_check], undefined) });
        } else if ((s.kind === 'ViewStmt' || s.kind === 'CreateTableAsStmt') && rel) {
          out.push({ kind: 'view', key: asPublic(rel), ...refsOf(n.query, asPublic(rel)) });
        } else if ((s.kind === 'CreateStmt' || s.kind === 'AlterTableStmt') && rel) {
          const r = refsOf(s.kind === 'CreateStmt' ? [n.tableElts, n.inhRelations, n.partbound] : n.cmds, asPublic(rel));
          if (r.rels.size) out.push({ kind: 'table', key: asPublic(rel), ...r });
        } else if (s.kind === 'DropStmt') {
          // (what a later file dropped depends on nothing any more)
          for (const o of n?.objects ?? []) {
            if (n.removeType === 'OBJECT_POLICY') {
              const dropped = droppedPolicyKey(o);
              if (!dropped) continue;
              const key = asPublic(dropped);
              out = out.filter((d) => !(d.kind === 'policy' && d.key === key));
            } else {
              const k = droppedKey(o);
              if (k) out = out.filter((d) => d.key !== asPublic(k) && !(d.kind === 'policy' && d.key.startsWith(`${asPublic(k)}\0`)));
            }
          }
        }
      }
    return (this.deps = out);
  }
}

/** A file right in a `supabase/migrations/` folder: its folder and its name. */
export const SUPABASE_MIGRATION = /^(.*(?:^|[\\/])supabase[\\/]migrations[\\/])([^\\/]+)$/;
/**
 * SUPABASE_MIGRATION's match of a path: its folder (with its separator), its file name and
 * whether CLI_APPLIED accepts it, or null. Kept per path: the match reads the path alone, and
 * every model build asks it of every file (skippedCopies: 1,102 on kingmansa).
 */
export function supabaseMigrationMatch(file: string): SupabaseMatch | null {
  let kept = migrationMatches.get(file);
  if (kept === undefined) {
    if (migrationMatches.size >= 100_000) migrationMatches.clear();
    const m = SUPABASE_MIGRATION.exec(file);
    migrationMatches.set(file, (kept = m ? { folder: m[1]!, name: m[2]!, applied: CLI_APPLIED.test(m[2]!) } : null));
  }
  return kept;
}
/** `applied`: CLI_APPLIED's test of the name as written (no URI decoding). */
type SupabaseMatch = Readonly<{ folder: string; name: string; applied: boolean }>;
const migrationMatches = new Map<string, SupabaseMatch | null>();

/** A name of such a file the Supabase CLI applies (pkg/migration/list.go, ListLocalMigrations); it skips any other. */
export const CLI_APPLIED = /^[0-9]+_.*\.sql$/;

/**
 * Files of a `supabase/migrations/` folder that the Supabase CLI skips (a name not
 * `<digits>_name.sql`: supabase-migration-skipped) with the same text as a file of the folder it
 * applies: a copy (chess-map-frontend's 20250927T130500_fix….sql beside 20250927130500_fix….sql),
 * which, replayed where its name sorts, would set back what the migrations between them changed.
 */
function skippedCopies(ordered: readonly ParsedFile[]): Set<ParsedFile> {
  const out = new Set<ParsedFile>();
  let skipped: Array<{ f: ParsedFile; folder: string }> | undefined;
  for (const f of ordered) {
    const m = supabaseMigrationMatch(f.file);
    if (m && !m.applied) (skipped ??= []).push({ f, folder: m.folder });
  }
  if (!skipped) return out;
  const folders = new Set(skipped.map((x) => x.folder));
  const applied = new Map<string, Set<string>>(); // folder → texts of the files the CLI applies
  for (const f of ordered) {
    const m = supabaseMigrationMatch(f.file);
    if (!m || !folders.has(m.folder) || !m.applied) continue;
    let texts = applied.get(m.folder);
    if (!texts) applied.set(m.folder, (texts = new Set()));
    texts.add(f.text);
  }
  for (const { f, folder } of skipped) if (applied.get(folder)?.has(f.text) && f.statements.some((s) => s.origin === 'file')) out.add(f);
  // (and a bundle of them: a skipped file making three tables or more, at least half of which the
  // applied files before it create, coach-os' all_migrations.sql, every migration in one file, which replayed after
  // them would fail on each (42P07, 42710) and set back what later ones changed)
  const firstMade = new Map<string, number>();
  const skippedSet = new Set(skipped.map((x) => x.f));
  ordered.forEach((f, at) => {
    if (!skippedSet.has(f)) {
      for (const t of tablesCreated(f)) if (!firstMade.has(asPublic(t))) firstMade.set(asPublic(t), at);
      return;
    }
    if (out.has(f)) return;
    const tables = tablesCreated(f).map(asPublic);
    const before = tables.filter((t) => (firstMade.get(t) ?? Infinity) < at).length;
    // (three tables at least: a misnamed migration making one table again is more likely meant to run)
    if (tables.length >= 3 && before * 2 >= tables.length) out.add(f);
  });
  return out;
}

/**
 * A file in a folder inside `supabase/migrations/` (which the Supabase CLI does not read: it applies
 * only the files directly in it; projects archive old migrations so) or in a copy of that folder
 * beside it (`supabase/migrations__backup_x/`, `supabase/migrations_old/`). Parsed, not replayed.
 */
export function isSupabaseArchivedMigration(file: string): boolean {
  return /(^|[\\/])supabase[\\/]migrations(?:[\\/][^\\/]+|[^\\/]+)[\\/]/.test(file);
}

/**
 * The files among `paths` in folders inside a Supabase project's `supabase/migrations/` that hold
 * its whole history: the folder itself has no file (portal-site keeps each migration in a
 * folder of its own and runs them by hand in the SQL editor). The Supabase CLI then applies none
 * of them, and nothing else is there to be the history: they are replayed, in path order, as
 * run by hand (markArchiveReplayed), instead of the project getting no finding at all. A
 * project with any file right in `migrations/` keeps its folders as archives (never replayed).
 * Copies of the folder beside it (`migrations_old/`) stay archives either way.
 */
export function historyInArchives(paths: Iterable<string>): Set<string> {
  const direct = new Set<string>();
  const inFolders = new Map<string, string[]>();
  for (const p of paths) {
    const m = MIGRATIONS_FOLDER_FILE.exec(p);
    if (!m) continue;
    const project = m[1]!;
    if (m[2]!.includes('/') || m[2]!.includes('\\')) inFolders.set(project, [...(inFolders.get(project) ?? []), p]);
    else direct.add(project);
  }
  const out = new Set<string>();
  for (const [project, files] of inFolders) if (!direct.has(project)) for (const f of files) out.add(f);
  return out;
}
/** A file in a Supabase project's `migrations/` folder (or a folder inside it): the path up to `supabase/migrations/`, and the rest. */
const MIGRATIONS_FOLDER_FILE = /^(.*?(?:^|[\\/])supabase[\\/]migrations[\\/])(.+)$/;

/** A folder named as one migration of a history whose migrations are folders: `<version>_<name>` (Hasura / nhost's `1736166836055_init/up.sql`, diesel's `2025-01-16-154339_rls/up.sql`, Prisma's `20240101000000_init/migration.sql`). */
const VERSION_FOLDER = /^\d[\d-]*_[^\\/]*$/;

/**
 * Two folders that are two versions of one such history (siblings, each named `<version>_<name>`):
 * its tool applies each version once, so files of one repeating the other's are run again, as a
 * migration of their own (aelmamclinic's nhost/migrations/default/20260102172446_…_clean/, the
 * up.sql and down.sql of 20260102172058_…/ again, which `hasura migrate apply` runs after it).
 */
function versionFolders(a: string, b: string): boolean {
  return a !== b && isVersionFolder(a) && isVersionFolder(b) && folderOfPath(a) === folderOfPath(b);
}

const isVersionFolder = (folder: string) => VERSION_FOLDER.test(folder.slice(Math.max(folder.lastIndexOf('/'), folder.lastIndexOf('\\')) + 1));

/** The folder holding a migration's history: a version folder's parent, else the folder itself. */
const historyOf = (folder: string) => (isVersionFolder(folder) ? folderOfPath(folder) : folder);

/**
 * The files among `ordered` (in migration order) that are copies of another: the same file name
 * and the same text in another folder, where the two folders hold at least two such copies (a
 * migrations folder copied into a Docker build context, `docker/migrations/` beside
 * `packages/migrations/`; a backup of `supabase/migrations/`) — or the same name after its version
 * and the same statements, comments aside (sameMigration: fullloopcrm's hand-run
 * `platform/src/lib/migrations/004_portal_auth_codes.sql`, converted for the Supabase CLI into
 * `supabase/migrations/20260309195434_portal_auth_codes.sql` with a header saying so) —, not one file of a fixed name
 * written again (Prisma's `migration.sql`, an `up.sql` that re-adds a column), nor the files of
 * two versions of a history whose migrations are folders (versionFolders: a Hasura version whose
 * up.sql and down.sql repeat an earlier one's is a migration of its own, run too). Replayed once
 * more, such a copy would fail on what its original made (42P07, 42710) or set back what later
 * files changed. Of each set of copies the one kept is in the folder holding the most files
 * (the live history, not a backup of part of it), else the first in migration order; verify
 * runs it once. Costs a map of file names per build; texts are compared only where names meet.
 */
export function migrationCopies(ordered: readonly ParsedFile[]): Set<ParsedFile> {
  const out = skippedCopies(ordered);
  const byName = new Map<string, ParsedFile | ParsedFile[]>();
  let collide = false;
  for (const f of ordered) {
    const name = migrationSlug(f.file);
    const had = byName.get(name);
    if (had === undefined) byName.set(name, f);
    else {
      collide = true;
      if (Array.isArray(had)) had.push(f);
      else byName.set(name, [had, f]);
    }
  }
  if (!collide) return out;
  const folderOf = (f: ParsedFile) => folderOfPath(f.file);
  // the sets of copies (2 or more files of one name and text in 2 or more folders)
  const sets: ParsedFile[][] = [];
  for (const list of byName.values()) {
    if (!Array.isArray(list)) continue;
    const byText = new Map<string, ParsedFile[]>();
    for (const f of list) {
      if (!f.statements.some((s) => s.origin === 'file')) continue;
      const g = byText.get(statementsText(f));
      if (g) g.push(f);
      else byText.set(statementsText(f), [f]);
    }
    for (const g of byText.values()) if (g.length > 1 && new Set(g.map(folderOf)).size > 1) sets.push(g);
  }
  if (sets.length === 0) return out;
  // how many copies each pair of folders shares: a pair sharing one file is no copied folder, nor
  // are two versions of one history whose migrations are folders (versionFolders)
  const pairs = new Map<string, number>();
  const pairOf = (a: string, b: string) => (a < b ? `${a}\0${b}` : `${b}\0${a}`);
  for (const g of sets) {
    const folders = [...new Set(g.map(folderOf))];
    for (let i = 0; i < folders.length; i++) {
      for (let j = i + 1; j < folders.length; j++) {
        if (versionFolders(folders[i]!, folders[j]!)) continue;
        pairs.set(pairOf(folders[i]!, folders[j]!), (pairs.get(pairOf(folders[i]!, folders[j]!)) ?? 0) + 1);
      }
    }
  }
  // (a version folder counts the files of its history: the folder of its versions)
  const sizes = new Map<string, number>();
  for (const f of ordered) sizes.set(historyOf(folderOf(f)), (sizes.get(historyOf(folderOf(f))) ?? 0) + 1);
  const size = (f: ParsedFile) => sizes.get(historyOf(folderOf(f)))!;
  for (const g of sets) {
    // (the first of the largest folder's: reduce keeps the earlier on a tie; never one the Supabase
    // CLI does not apply when another of the set it applies: inpersonmarketplace's
    // supabase/migrations/applied/, larger than the migrations folder, is never replayed, and its
    // copies in migrations/, which the CLI runs, were left out too)
    // (and one the Supabase CLI applies before a copy outside its folder, though that folder holds
    // more files: 709exclusive's hand-run sql/038_presence_tracking.sql, whose copy
    // supabase/migrations/20260117142751_presence_tracking.sql is the migration the CLI runs)
    const live = g.filter((f) => !isSupabaseArchivedMigration(f.file));
    const applied = live.filter((f) => supabaseMigrationMatch(f.file)?.applied);
    const keep = (applied.length ? applied : live.length ? live : g).reduce((a, b) => (size(b) > size(a) ? b : a));
    const home = folderOf(keep);
    // (an archived copy is left out of the replay as such, with no note: rollbackSections)
    for (const f of g) if (folderOf(f) !== home && !isSupabaseArchivedMigration(f.file) && (pairs.get(pairOf(folderOf(f), home)) ?? 0) >= 2) out.add(f);
  }
  return out;
}

/**
 * A file's name without its folder, extension and version prefix (`20260309195434_`, `004_`,
 * `2026_07_05_`, Flyway's `V3__`): what a tool renaming migrations keeps of it.
 */
export function migrationSlug(file: string): string {
  const name = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1).replace(/\.sql$/i, '');
  return name.replace(/^[Vv]?\d[\d_.-]*/, '') || name;
}

/**
 * The files of each found migration sequence (databases.ts, kind `sequence`) that repeats a
 * Supabase project's history under other names: at least two of its files, and at least half of
 * them, are one migration each with a file the Supabase CLI applies from that project's
 * `supabase/migrations/` (sameMigration: the same name after the version, the same statements,
 * comments aside). okpilot/lmsplus_v2's packages/db/migrations/ holds 141 such files,
 * `001_initial_schema.sql` … `157_…`, 138 the statements of `supabase/migrations/20260311000001_initial_schema.sql` …,
 * but not the fixes between them (`20260311000004_users_self_read_policy.sql`, which ends the
 * recursion of users' first policy): replayed as a database of its own, the copy reported that
 * recursion (42P17) and 145 findings more, which the database the CLI builds does not have, or has
 * at the migrations it applies. Each such file → the project's migrations folder, as written in its ids.
 * Texts are compared only where names meet.
 * (the folder as its last three segments at most: `lmsplus_v2/supabase/migrations/`, not the id's whole path or URI)
 */
export function mirroredHistories(dbs: readonly Database[], parsed: (id: string) => ParsedFile | undefined): Map<string, string> {
  const out = new Map<string, string>();
  // (the files the Supabase CLI applies, by their name after the version)
  let applied: Map<string, Array<{ f: ParsedFile; folder: string }>> | undefined;
  for (const d of dbs) {
    for (const id of d.files) {
      const m = supabaseMigrationMatch(id);
      if (!m?.applied) continue;
      const f = parsed(id);
      if (!f) continue;
      applied ??= new Map();
      const slug = migrationSlug(id);
      applied.set(slug, [...(applied.get(slug) ?? []), { f, folder: m.folder }]);
    }
  }
  if (!applied) return out;
  for (const d of dbs) {
    if (d.kind !== 'sequence' || d.files.some((id) => supabaseMigrationMatch(id))) continue;
    const folders = new Map<string, number>();
    for (const id of d.files) {
      const f = parsed(id);
      const twin = f && applied.get(migrationSlug(id))?.find((g) => sameMigration(g.f, f));
      if (twin) folders.set(shortFolder(twin.folder), (folders.get(shortFolder(twin.folder)) ?? 0) + 1);
    }
    // (one project's history: the folder most of them repeat)
    const [folder, copies] = [...folders].reduce<[string, number]>((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
    if (copies >= 2 && copies * 2 >= d.files.length) for (const id of d.files) out.set(id, folder);
  }
  return out;
}

const shortFolder = (folder: string) => decodedId(folder).split('/').filter((x) => x).slice(-3).join('/') + '/';

/** The text of a file's own statements, without the comments and blank lines around them (what PostgreSQL runs). Kept per parse. */
function statementsText(f: ParsedFile): string {
  let t = stmtTexts.get(f);
  if (t === undefined) stmtTexts.set(f, (t = f.statements.filter((s) => s.origin === 'file').map((s) => f.text.slice(s.start, s.end)).join(';\n')));
  return t;
}
const stmtTexts = new WeakMap<ParsedFile, string>();

/** Whether `a` and `b` are one migration under two names: the same name after the version (migrationSlug) and the same statements (statementsText). */
export function sameMigration(a: ParsedFile, b: ParsedFile): boolean {
  return migrationSlug(a.file) === migrationSlug(b.file) && statementsText(a) === statementsText(b);
}

/** A statement of a file left out of the replay that re-makes what a replayed file before it made, and what PostgreSQL answers. */
export interface Collision {
  stmt: Statement;
  /** 42P07: a CREATE TABLE of a table that exists; 42710: a CREATE POLICY of a policy that exists */
  code: '42P07' | '42710';
  /** the relation (as written) and, for a policy, its name */
  relation: string;
  policy?: string;
  /** the replayed file before it that made it first, and the statement (an ALTER TABLE … RENAME TO where a table took that name) */
  made: ParsedFile;
  madeBy: Statement;
}

/**
 * The first CREATE TABLE (without IF NOT EXISTS) or CREATE POLICY of `f` that re-makes a table or
 * policy a file before it in `ordered` that the model replays (not in `left`) made: run after
 * those files, PostgreSQL rejects it (42P07 relation already exists, 42710 policy already exists).
 * By name, as schemaSnapshots compares them (a dump qualifies what a migration may not).
 */
export function firstCollision(ordered: readonly ParsedFile[], f: ParsedFile, left: ReadonlyMap<ParsedFile, unknown>): Collision | undefined {
  const at = ordered.indexOf(f);
  if (at < 0) return undefined;
  const tables = new Map<string, [ParsedFile, Statement]>();
  const policies = new Map<string, [ParsedFile, Statement]>();
  for (let i = 0; i < at; i++) {
    const g = ordered[i]!;
    if (left.has(g)) continue;
    for (const s of replayed(g)) {
      if (s.origin !== 'file') continue;
      // (a table renamed takes its name and its policies with it: the old name is free, the new one
      // taken — useVenice/venice's institution, renamed integration, which its schema.sql re-makes)
      if (s.kind === 'RenameStmt' && s.node?.renameType === 'OBJECT_TABLE' && typeof s.node.newname === 'string') {
        const from = relKey(s.node.relation);
        if (from === undefined) continue;
        const old = asPublic(from);
        const to = asPublic(`${s.node.relation.schemaname ?? '*'}.${s.node.newname}`);
        tables.delete(old);
        tables.set(to, [g, s]);
        for (const [k, v] of [...policies]) {
          if (!k.startsWith(`${old}\0`)) continue;
          policies.delete(k);
          policies.set(`${to}${k.slice(old.length)}`, v);
        }
        continue;
      }
      const t = relKey(s.kind === 'CreateStmt' ? s.node?.relation : s.kind === 'CreatePolicyStmt' ? s.node?.table : undefined);
      if (t === undefined) continue;
      if (s.kind === 'CreateStmt' && !tables.has(asPublic(t))) tables.set(asPublic(t), [g, s]);
      else if (s.kind === 'CreatePolicyStmt' && !policies.has(`${asPublic(t)}\0${s.node.policy_name}`)) policies.set(`${asPublic(t)}\0${s.node.policy_name}`, [g, s]);
    }
  }
  // (an unqualified name made before is public's; a qualified one in the file may name it too;
  // what the file drops first is made again without 42P07 or 42710: Drops)
  const drops = new Drops(ordered.slice(0, at).filter((g) => !left.has(g)));
  for (const s of replayed(f)) {
    if (s.origin !== 'file') continue;
    const n = s.node;
    drops.see(s);
    if (s.kind === 'CreateStmt' && !n?.if_not_exists) {
      const t = relKey(n?.relation);
      const made = t !== undefined && !drops.tableDropped(t) ? tables.get(asPublic(t)) : undefined;
      if (made) return { stmt: s, code: '42P07', relation: written(n.relation), made: made[0], madeBy: made[1] };
    } else if (s.kind === 'CreatePolicyStmt') {
      const t = relKey(n?.table);
      const made = t !== undefined && !drops.policyDropped(`${t}\0${n.policy_name}`) ? policies.get(asPublic(`${t}\0${n.policy_name}`)) : undefined;
      if (made) return { stmt: s, code: '42710', relation: written(n.table), policy: String(n.policy_name), made: made[0], madeBy: made[1] };
    }
  }
  return undefined;
}

/** A RangeVar as written, `schema.name` or `name`. */
const written = (rv: { schemaname?: string; relname?: string }) => (rv.schemaname ? `${rv.schemaname}.${rv.relname}` : String(rv.relname));
