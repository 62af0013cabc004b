import { identEnd, madeRelation } from '../analysis/ast.js';
import { walk } from '../analysis/parse.js';
import { notReplayedReason, type Model } from '../analysis/model.js';
import type { Loc, Node, ParsedFile } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { supabaseMigration } from './lib/util.js';
import { counted, listOr } from '../analysis/words.js';

// Two migration tools apply their migrations in name order, compared character by character, not
// by the number a name starts with: Prisma Migrate (the folders of prisma/migrations, its
// listMigrations "sorted lexicographically by name": byte order up to 6.5, localeCompare since 6.6)
// and the Supabase CLI (the files of supabase/migrations, Go's fs.ReadDir order). Numbered by hand
// without zero padding (1_init, 2_posts … 10_policies), 10_policies runs before 2_posts on a new
// database; pg-rls-lint replays them in numeric order, as their numbers mean (model.ts), and this
// rule says where the tool's order differs, and what fails there when a migration run early uses
// what a lower-numbered one creates (42P01).

interface Migration {
  pf: ParsedFile;
  /** the folder (Prisma) or file (Supabase) name */
  name: string;
  /** its leading digits, without leading zeros */
  number: string;
  /** its place in the replay (model.files) */
  at: number;
}

type Tool = 'prisma' | 'supabase';

/** `<…>/migrations/<name>/migration.sql`: a Prisma Migrate migration. */
const PRISMA = /^(.*?migrations)[\\/]([^\\/]+)[\\/]migration\.sql$/;

function migrationOf(file: string): { tool: Tool; folder: string; name: string } | undefined {
  const s = supabaseMigration(file);
  if (s) return s.applied ? { tool: 'supabase', folder: s.folder, name: s.name } : undefined;
  const m = PRISMA.exec(file);
  return m ? { tool: 'prisma', folder: m[1]!, name: m[2]! } : undefined;
}

/** Whether number a is lower than number b (digit strings without leading zeros). */
function lower(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b;
}

/**
 * Whether the tool certainly applies a before b: by byte order (JS string order is code-unit order,
 * byte order for the ASCII names it compares), and for Prisma by localeCompare too (6.6 and later).
 */
function runsBefore(tool: Tool, a: string, b: string): boolean {
  if (!(a < b)) return false;
  return tool === 'supabase' || a.localeCompare(b, 'en') < 0;
}

const HOW: Record<Tool, { runs: string; order: string; rename: string }> = {
  prisma: {
    runs: 'prisma migrate deploy (and migrate reset, or migrate dev on a new database)',
    order: 'applies the migration folders in name order, compared character by character (its listMigrations sorts them lexicographically), not by the number they start with',
    rename:
      'Rename the folders with numbers of one width (01_init, 02_posts … 10_…), or timestamps as prisma migrate dev makes them, so that name order is number order; where they are already applied, rename them in _prisma_migrations.migration_name too',
  },
  supabase: {
    runs: 'supabase db reset, start and db push',
    order: 'apply the files of supabase/migrations in file name order, compared character by character, not by the number they start with',
    rename: 'Rename the files with versions of one width (a 14-digit timestamp, as supabase migration new makes them), so that name order is number order; where they are already applied, change their versions in supabase_migrations.schema_migrations too (supabase migration repair)',
  },
};

export const migrationNumbersUnpadded = defineRule({
  meta: {
    id: 'migration-numbers-unpadded',
    description:
      'Migrations numbered without zero padding (2_posts, 10_policies) where the migration tool (Prisma Migrate, the Supabase CLI) applies them in name order: 10_policies runs before 2_posts.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'Prisma Migrate and the Supabase CLI apply migrations in name order, character by character: 10_x before 2_x. On a new database a migration run before a lower-numbered one that creates what it uses fails with 42P01, and the migrations after it, with their policies and grants, are not applied.',
    sources: ['prisma/prisma packages/migrate listMigrations ("sorted lexicographically by name")', 'supabase/cli pkg/migration (fs.ReadDir order)'],
  },
  check({ model, report }) {
    // per tool and folder, the migrations whose names start with a number
    const groups = new Map<string, { tool: Tool; list: Migration[] }>();
    for (let at = 0; at < model.files.length; at++) {
      const pf = model.files[at]!;
      const m = migrationOf(pf.file);
      const digits = m && /^\d+/.exec(m.name)?.[0];
      if (!m || !digits || model.notReplayed.has(pf) || notReplayedReason(pf) !== undefined) continue;
      const key = `${m.tool}\0${m.folder}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { tool: m.tool, list: [] }));
      g.list.push({ pf, name: m.name, number: digits.replace(/^0+(?=\d)/, ''), at });
    }
    for (const { tool, list } of groups.values()) {
      if (list.length < 2) continue;
      // in the tool's order (byte order; the pairs it is certain of are those runsBefore says), each
      // with the lower-numbered migrations it runs before that the replay runs first (where the
      // replay takes the tool's order itself, Supabase or Prisma timestamps of two lengths, none)
      const byName = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const early = byName.map((a) => ({ a, overtaken: list.filter((b) => lower(b.number, a.number) && b.at < a.at && runsBefore(tool, a.name, b.name)) })).filter((x) => x.overtaken.length !== 0);
      if (early.length === 0) continue;
      const r = firstFailure(model, byName, early) ?? { ...firstStatement(early[0]!.a.pf), failure: undefined };
      const a = r.failure?.a ?? early[0]!.a;
      const overtaken = r.failure ? r.failure.overtaken : early[0]!.overtaken;
      const how = HOW[tool];
      const shown = overtaken.slice(0, 3).map((b) => b.name);
      const names = overtaken.length > 3 ? `${shown.join(', ')} and ${overtaken.length - 3} more` : listOr(shown, 'and');
      const firstOnes = early.slice(0, 4).map((x) => x.a.name);
      const others = early.length > 1 ? ` (${counted(early.length, 'migration')} of this folder run before lower-numbered ones: ${early.length > 4 ? `${firstOnes.join(', ')} …` : listOr(firstOnes, 'and')})` : '';
      const head = `${how.runs} ${how.order}: ${a.name} runs before ${names}${others}.`;
      const effect = r.failure
        ? ` On a new database ${a.name} fails, here at the latest: this statement names ${r.failure.relation}, which ${r.failure.by.name} creates only later, so PostgreSQL raises 42P01 relation "${r.failure.written}" does not exist, and the migrations after it, with their policies and grants, are not applied.`
        : ' Where a migration run early uses what a lower-numbered one creates, a new database fails there (42P01).';
      const report1: Report = {
        file: a.pf.file,
        start: r.start,
        end: r.end,
        message: `${head}${effect} pg-rls-lint replays them in numeric order, as their numbers mean. ${how.rename}.`,
        related: r.failure ? [{ ...r.failure.created, message: `${r.failure.relation} is created here, by ${r.failure.by.name}, which ${tool === 'prisma' ? 'Prisma' : 'the Supabase CLI'} applies after ${a.name}` }] : [],
        fixes: [],
      };
      if (r.failure) report1.severity = 'error';
      report(report1);
    }
  },
});

interface Failure {
  a: Migration;
  overtaken: Migration[];
  by: Migration;
  relation: string;
  /** the name as PostgreSQL's error quotes it: as written, schema-qualified or not */
  written: string;
  created: Loc;
}

/**
 * The first statement, in the tool's order, of a migration run early that names a relation one of
 * the migrations it overtakes creates, where neither it (before that statement) nor a migration run
 * before it creates one of that name: 42P01 on a new database. Function bodies are not looked into
 * (PL/pgSQL's are not checked when created). One pass over the migrations in the tool's order
 * (`byName`), gathering what each creates.
 */
function firstFailure(model: Model, byName: Migration[], early: Array<{ a: Migration; overtaken: Migration[] }>): { start: number; end: number; failure: Failure } | undefined {
  const overtakenBy = new Map(early.map((x) => [x.a, x.overtaken]));
  const made = new Set<string>();
  for (const a of byName) {
    const overtaken = overtakenBy.get(a);
    const files = overtaken && new Map(overtaken.map((b) => [b.pf.file, b]));
    for (const s of a.pf.statements) {
      if (s.origin !== 'file') continue;
      const own = madeRelation(s);
      if (own?.relname) made.add(model.key([own.schemaname, own.relname]));
      // (nor an ALTER … IF EXISTS: on a missing relation PostgreSQL skips it with a notice, PGlite)
      if (!files || s.kind === 'CreateFunctionStmt' || s.node?.missing_ok) continue;
      for (const rv of relationsNamed(s.node)) {
        const key = model.key([rv.schemaname, rv.relname]);
        if (made.has(key)) continue;
        const rel = model.tables.get(key) ?? model.views.get(key);
        const by = rel && files.get(rel.created.file);
        if (!by || !rel) continue;
        return { start: rv.location, end: identEnd(a.pf.text, rv.location), failure: { a, overtaken: overtaken!, by, relation: key, written: rv.schemaname ? `${rv.schemaname}.${rv.relname}` : String(rv.relname), created: rel.created } };
      }
    }
  }
  return undefined;
}

/**
 * The relation names of a statement (RangeVars: a FROM's, an ALTER TABLE's, a REFERENCES' …), in
 * walk order; not a bare name a WITH query of the statement takes (`WITH b AS (…) SELECT … FROM b`
 * reads the CTE, whatever tables there are: PGlite), wherever that WITH is in it.
 */
function relationsNamed(node: Node): Node[] {
  const out: Node[] = [];
  const ctes = new Set<string>();
  walk(node, (_k, v) => {
    if (typeof v.ctename === 'string') ctes.add(v.ctename);
    else if (typeof v.relname === 'string' && typeof v.location === 'number' && v.location >= 0) out.push(v);
  });
  return ctes.size === 0 ? out : out.filter((rv) => rv.schemaname || !ctes.has(rv.relname));
}

function firstStatement(pf: ParsedFile): { start: number; end: number } {
  const s = pf.statements.find((x) => x.origin === 'file');
  return { start: s?.start ?? 0, end: s?.end ?? 0 };
}
