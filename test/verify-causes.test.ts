// Why statements of verify's replay failed (verify/causes.ts): the errors are PGlite's own, from
// a replay of the files; causes() reads them with the lint's statements of the same files.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { initParser, parseFile } from '../server/src/analysis/parse.js';
import { causes, rootsOf } from '../server/src/verify/causes.js';
import { rollbackSections } from '../server/src/analysis/model.js';
import { verify, type VerifyFile, type VerifyResult } from '../server/src/verify/pglite.js';

const CACHE_DIR = join(__dirname, '..', '.cache');

const FILES: VerifyFile[] = [
  {
    file: 'migrations/001_geo.sql',
    // (PostGIS is not among PGlite's extensions: its CREATE EXTENSION fails, and so does what uses it)
    text: `-- « géo » 日本語 😀
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE places (id int PRIMARY KEY, geom geometry(Point, 4326));
SELECT st_makepoint(1, 2);
CREATE SCHEMA app;
CREATE TABLE public.orders (id int);
SELECT * FROM app.orders;
SELECT * FROM places;
`,
  },
  {
    file: 'migrations/002_columns.sql',
    // (a column added in a DO block that fails as a whole; a column no statement adds)
    text: `CREATE TABLE vehicles (id int PRIMARY KEY);
DO $$ BEGIN
  ALTER TABLE vehicles ADD COLUMN tenant_id uuid REFERENCES tenants (id);
EXCEPTION WHEN duplicate_column THEN NULL;
END $$;
CREATE INDEX ON vehicles (tenant_id);
INSERT INTO vehicles (id, color) VALUES (1, 'red');
ALTER TABLE vehicles RENAME TO legacy_vehicles;
SELECT v.tenant_id FROM legacy_vehicles v;
SELECT v.tenant_id FROM vehicles_later v;
CREATE TABLE vehicles_later (id int, tenant_id uuid);
`,
  },
];

let result: VerifyResult;
before(async () => {
  await initParser();
  result = await verify(FILES, { cacheDir: CACHE_DIR, probes: [] });
});

test('err: errors on what a failed CREATE EXTENSION makes follow from it; another schema is no maker; the chain ends at the extension; a column a failed DO block adds, and one nothing adds', () => {
  const errors = result.statementErrors;
  assert.deepEqual(
    errors.map((e) => `${e.code} ${e.message}`),
    [
      '0A000 extension "postgis" is not available',
      '42704 type "geometry" does not exist',
      '42883 function st_makepoint(integer, integer) does not exist',
      '42P01 relation "app.orders" does not exist',
      '42P01 relation "places" does not exist',
      '42P01 relation "tenants" does not exist',
      '42703 column "tenant_id" does not exist',
      '42703 column "color" of relation "vehicles" does not exist',
      '42703 column v.tenant_id does not exist',
      '42P01 relation "vehicles_later" does not exist',
    ],
  );
  const found = causes(errors, FILES.map((f) => ({ file: f.file, statements: parseFile(f.file, f.text).statements })));
  assert.deepEqual(found, [
    undefined,
    { kind: 'follows', follows: 0, missing: { kind: 'type', name: 'geometry' } },
    { kind: 'follows', follows: 0, missing: { kind: 'function', name: 'st_makepoint' } },
    { kind: 'never', missing: { kind: 'relation', name: 'app.orders' } },
    { kind: 'follows', follows: 1, missing: { kind: 'relation', name: 'places' } },
    { kind: 'never', missing: { kind: 'relation', name: 'tenants' } },
    // (the column the failed DO block would have added; one the message names the table of, that nothing adds)
    { kind: 'follows', follows: 5, missing: { kind: 'column', name: 'vehicles.tenant_id' } },
    { kind: 'never', missing: { kind: 'column', name: 'vehicles.color' } },
    // (through an alias, and the rename the table's columns went with)
    { kind: 'follows', follows: 5, missing: { kind: 'column', name: 'legacy_vehicles.tenant_id' } },
    { kind: 'later', missing: { kind: 'relation', name: 'vehicles_later' }, file: 'migrations/002_columns.sql', offset: FILES[1]!.text.indexOf('CREATE TABLE vehicles_later') },
  ]);
  assert.deepEqual(rootsOf(found), [0, 0, 0, 3, 0, 5, 5, 7, 5, 9]);
});

// Calibration (cal184, DSciAILab/TatamiPro_V3): its early migrations were moved into supabase/migrations/legacy/, which
// the Supabase CLI never applies and neither the lint nor verify replays; the policies left in supabase/migrations/
// fail on tables only a legacy file makes, and verify said each was "made later, at supabase/migrations/legacy/0005_…".
test('err: what only a statement the replay does not run makes (a file in a folder inside supabase/migrations/) is made by nothing it runs: never, with where it is written', async () => {
  const files: VerifyFile[] = [
    { file: 'supabase/migrations/0013_policy.sql', text: 'CREATE POLICY athletes_read ON public.athletes FOR SELECT USING (true);\n' },
    { file: 'supabase/migrations/legacy/0005_tables.sql', text: '-- the first tables\nCREATE TABLE public.athletes (id int PRIMARY KEY);\n' },
  ];
  // PostgreSQL (PGlite), as verify replays them: the legacy file is not run, so the policy fails and nothing makes the table
  const r = await verify(files, { cacheDir: CACHE_DIR, probes: [] });
  assert.deepEqual(r.statementErrors.map((e) => `${e.file} ${e.code} ${e.message}`), ['supabase/migrations/0013_policy.sql 42P01 relation "public.athletes" does not exist']);
  const parsed = files.map((f) => parseFile(f.file, f.text));
  const made = { kind: 'relation', name: 'public.athletes' } as const;
  // with the parts not run (model.ts rollbackSections: the whole legacy file): never, naming where it is written
  assert.deepEqual(causes(r.statementErrors, parsed.map((p) => ({ file: p.file, statements: p.statements, notRun: rollbackSections(p) }))), [
    { kind: 'never', missing: made, notRun: { file: 'supabase/migrations/legacy/0005_tables.sql', offset: files[1]!.text.indexOf('CREATE TABLE') } },
  ]);
  // (a statement that runs later is still "later")
  assert.deepEqual(causes(r.statementErrors, parsed.map((p) => ({ file: p.file, statements: p.statements }))), [
    { kind: 'later', missing: made, file: 'supabase/migrations/legacy/0005_tables.sql', offset: files[1]!.text.indexOf('CREATE TABLE') },
  ]);
});

// Calibration (cal203, NorwoodAndBrixtonFoodbank/nbf-website): a Supabase dump as the first migration creates pgaudit,
// which PGlite lacks, then grants EXECUTE on the event trigger functions that CREATE EXTENSION pgaudit makes; verify
// said no statement of the files makes public.pgaudit_ddl_command_end and public.pgaudit_sql_drop ("the history lacks
// what makes them"), and listed the CREATE EXTENSION among "the other failures".
test('err: the GRANTs on pgaudit_ddl_command_end() and pgaudit_sql_drop() follow from the failed CREATE EXTENSION pgaudit (PGlite: 0A000, then 42883 for each)', async () => {
  const files: VerifyFile[] = [
    {
      file: 'supabase/migrations/20240128232333_initial_schema.sql',
      text: `CREATE EXTENSION IF NOT EXISTS "pgaudit" WITH SCHEMA "public";
GRANT ALL ON FUNCTION "public"."pgaudit_ddl_command_end"() TO "postgres";
GRANT ALL ON FUNCTION "public"."pgaudit_sql_drop"() TO "postgres";
`,
    },
  ];
  const r = await verify(files, { cacheDir: CACHE_DIR, probes: [] });
  assert.deepEqual(
    r.statementErrors.map((e) => e.code),
    ['0A000', '42883', '42883'],
  );
  const found = causes(r.statementErrors, files.map((f) => ({ file: f.file, statements: parseFile(f.file, f.text).statements })));
  assert.deepEqual(found.map((c) => c && `${c.kind} ${'follows' in c ? c.follows : ''} ${c.missing?.name}`), [undefined, 'follows 0 public.pgaudit_ddl_command_end', 'follows 0 public.pgaudit_sql_drop']);
});
