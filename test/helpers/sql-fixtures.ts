// Realistic migration texts shared by the parser's robustness tests: psql meta-commands,
// COPY data, a tagged DO block, CRLF and a BOM, non-ASCII names and comments, rule docs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuleDoc } from './docs.js';

const EXAMPLES = join(__dirname, '..', '..', 'examples', 'migrations');
const example = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');

export interface Fixture {
  name: string;
  eol: string;
  text: string;
  /** where a statement is typed: line starts of the file */
  positions: Record<'start' | 'middle' | 'end', number>;
}

/** The examples with psql meta-commands, COPY data, a tagged DO block, CRLF and a BOM. */
export function fixtureA(): Fixture {
  const lf = [
    '-- Migration 001 — « projets », 日本語のコメント 🚀',
    '\\set ON_ERROR_STOP on',
    example('001_tables.sql').trimEnd(),
    '-- 😀👍🏽 seed data',
    'COPY tenants (id, name) FROM stdin;',
    "00000000-0000-0000-0000-000000000001\tÉcole; 🏫 'x \"y /* z",
    '\\.',
    example('002_rls.sql').trimEnd(),
    example('003_functions.sql').trimEnd(),
    'DO $do$',
    'BEGIN',
    "  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'invoices_read') THEN",
    "    CREATE POLICY invoices_read ON invoices FOR SELECT TO authenticated USING (tenant_id = current_tenant());",
    '  END IF;',
    'END',
    '$do$;',
    example('004_views.sql').trimEnd(),
    '/* nested /* 注释 */ comment */ CREATE TABLE "表😀" (id int);',
    '',
  ].join('\n');
  const text = `\ufeff${lf.replace(/\n/g, '\r\n')}`;
  const middle = text.indexOf('CREATE FUNCTION is_admin()');
  return { name: 'examples (CRLF, BOM)', eol: '\r\n', text, positions: { start: 1, middle, end: text.length } };
}

/** Invalid examples of the rule docs, one after the other (LF). */
export function fixtureB(): Fixture {
  const ids = ['definer-dynamic-sql', 'session-context-not-local', 'definer-search-path-missing', 'view-bypasses-rls', 'policy-recursion'];
  const parts = ids.map((id) => loadRuleDoc(id).invalid[0]!.sql.trimEnd());
  parts.splice(3, 0, "\\echo 'vues 👀'");
  const text = `${parts.join('\n\n')}\n`;
  const middle = text.indexOf('\n', text.indexOf("\\echo 'vues")) + 1;
  return { name: 'rule docs (LF)', eol: '\n', text, positions: { start: 0, middle, end: text.length } };
}


/**
 * A hand-rolled migration runner (Munkhjavkhlann/mongolec-backend's database-migrations.sql): a
 * function that EXECUTEs the SQL it is handed once per version, called from a DO block per
 * migration, `$migration$ … $migration$` quoted.
 */
export function migrationRunner(migrations: ReadonlyArray<readonly [version: string, sql: string]>): string {
  return `CREATE TABLE schema_migrations (version text PRIMARY KEY);
CREATE OR REPLACE FUNCTION apply_migration(migration_version text, migration_sql text) RETURNS boolean AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM schema_migrations WHERE version = migration_version) THEN
    RETURN TRUE;
  END IF;
  EXECUTE migration_sql;
  INSERT INTO schema_migrations VALUES (migration_version);
  RETURN TRUE;
END;
$$ LANGUAGE plpgsql;
${migrations.map(([v, sql]) => `DO $$ BEGIN PERFORM apply_migration('${v}', $migration$ ${sql} $migration$); END $$;\n`).join('')}`;
}

/**
 * A tenant helper and a table whose policy calls it, for re-lint tests of a SQL body PostgreSQL
 * refuses (42P13: text returned for uuid): `good` casts the setting, `bad` returns it as text.
 */
export const APP_TENANT = (() => {
  const good = "CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;\n";
  const bad = good.replace("nullif(current_setting('app.tenant_id', true), '')::uuid", "current_setting('app.tenant_id', true)");
  const table = 'CREATE TABLE docs (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_tenant ON docs USING (tenant_id = app_tenant());\n';
  return { good, bad, table };
})();

/**
 * daveyplate/pglofi's sign-up trigger on its own users table: handle_new_user(), a SECURITY DEFINER
 * trigger function `AFTER INSERT ON users`, inserts into public.profiles. `profiles` (its RLS
 * statements and policies, each line ended) stands right after profiles' CREATE TABLE.
 */
export const pglofiTrigger = (profiles: string): string => `CREATE TABLE users (id int PRIMARY KEY, name text);
CREATE TABLE profiles (id int PRIMARY KEY, name text);
${profiles}CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.profiles (id, name) VALUES (new.id, new.name);
  RETURN new;
END $$;
CREATE TRIGGER on_user_created AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION handle_new_user();
`;
