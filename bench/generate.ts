// Generates a synthetic migration workspace: realistic tables, RLS, policies, helper
// functions, triggers, grants and indexes. Deterministic (no randomness).
export interface GeneratedFile {
  file: string;
  text: string;
}

// Real migrations are rerunnable and fix earlier ones: a quarter of the tables is made IF NOT
// EXISTS, a quarter drops its policies and trigger before making them (DROP … IF EXISTS, CREATE OR
// REPLACE FUNCTION), every eighth block fixes the table made three blocks before (ADD COLUMN, a
// policy dropped and made again) and every sixteenth makes a storage.objects policy (a table the
// migrations do not create). Each of these once defeated a re-lint cache the plain blocks never
// reached (LanternOps/breeze: 2,600 DROP POLICY IF EXISTS, 479 tables IF NOT EXISTS).
function tableBlock(n: number): string {
  const t = `items_${n}`;
  const rerun = n % 4 === 2;
  const drop = (what: string, name: string) => (rerun ? `DROP ${what} IF EXISTS ${name} ON ${t};\n` : '');
  const fix = n % 8 === 3 && n >= 3 ? `ALTER TABLE items_${n - 3} ADD COLUMN IF NOT EXISTS archived_at timestamptz;
DROP POLICY IF EXISTS items_${n - 3}_delete ON items_${n - 3};
CREATE POLICY items_${n - 3}_delete ON items_${n - 3} FOR DELETE TO authenticated
  USING (owner_id = (select auth.uid()) AND archived_at IS NULL);
` : '';
  const storage = n % 16 === 5 ? `DROP POLICY IF EXISTS "${t} files" ON storage.objects;
CREATE POLICY "${t} files" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = '${t}' AND owner = (select auth.uid()));
` : '';
  return `
-- table ${n}: tenant-scoped items « ${n} »
CREATE TABLE${n % 4 === 1 ? ' IF NOT EXISTS' : ''} ${t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  owner_id uuid NOT NULL,
  title text NOT NULL,
  body text,
  status text NOT NULL DEFAULT 'draft',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ${t}_tenant ON ${t} (tenant_id);
ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO authenticated;
${drop('POLICY', `${t}_select`)}CREATE POLICY ${t}_select ON ${t} FOR SELECT TO authenticated
  USING (tenant_id IN (SELECT tenant_id FROM memberships WHERE user_id = (select auth.uid())));
${drop('POLICY', `${t}_insert`)}CREATE POLICY ${t}_insert ON ${t} FOR INSERT TO authenticated
  WITH CHECK (owner_id = (select auth.uid()) AND is_member_of(tenant_id));
${drop('POLICY', `${t}_update`)}CREATE POLICY ${t}_update ON ${t} FOR UPDATE TO authenticated
  USING (owner_id = auth.uid())
  WITH CHECK (owner_id = auth.uid());
${drop('POLICY', `${t}_delete`)}CREATE POLICY ${t}_delete ON ${t} FOR DELETE TO authenticated
  USING (owner_id = (select auth.uid()) AND status <> 'locked');
CREATE${rerun ? ' OR REPLACE' : ''} FUNCTION ${t}_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  IF NEW.status = 'archived' THEN
    INSERT INTO audit_events (table_name, row_id) VALUES ('${t}', NEW.id::text);
  END IF;
  RETURN NEW;
END $$;
${drop('TRIGGER', `${t}_touch`)}CREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_touch();
CREATE FUNCTION ${t}_count(p_tenant uuid) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*) FROM ${t} WHERE tenant_id = p_tenant
$$;
REVOKE EXECUTE ON FUNCTION ${t}_count(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${t}_count(uuid) TO authenticated;
CREATE VIEW ${t}_recent WITH (security_invoker = true) AS
  SELECT id, title FROM ${t} WHERE created_at > now() - interval '7 days';
${fix}${storage}`;
}

const BASE = `
CREATE TABLE memberships (
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  role text NOT NULL DEFAULT 'member',
  PRIMARY KEY (user_id, tenant_id)
);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
GRANT SELECT ON memberships TO authenticated;
CREATE POLICY memberships_self ON memberships FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE TABLE audit_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_name text, row_id text);
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_from_trigger ON audit_events FOR INSERT WITH CHECK (pg_trigger_depth() > 0);
CREATE FUNCTION is_member_of(p_tenant uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.memberships WHERE tenant_id = p_tenant AND user_id = auth.uid());
END $$;
REVOKE EXECUTE ON FUNCTION is_member_of(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION is_member_of(uuid) TO authenticated;
`;

/** `files` migration files of about `linesPerFile` lines; file index `big` gets `bigLines`. */
export function generateWorkspace(files = 200, linesPerFile = 500, big = 100, bigLines = 2000): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  let n = 0;
  const blockLines = tableBlock(0).split('\n').length;
  for (let i = 1; i <= files; i++) {
    const target = i === big ? bigLines : linesPerFile;
    const parts: string[] = [`-- migration ${i}`];
    if (i === 1) parts.push(BASE);
    let lines = parts.join('\n').split('\n').length;
    while (lines + blockLines <= target + blockLines / 2) {
      parts.push(tableBlock(n++));
      lines += blockLines;
    }
    out.push({ file: `migrations/${String(i).padStart(4, '0')}_m${i}.sql`, text: parts.join('\n') });
  }
  return out;
}
