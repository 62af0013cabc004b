// A small workspace for the insight tests (unit and LSP): tables, a SECURITY DEFINER helper,
// policies and a view in three files, with non-ASCII text before the names.
export const INSIGHT_FILES: Record<string, string> = {
  '1_tables.sql':
    '-- Tâbles 日本語 😀👍🏽\n' +
    'CREATE TABLE public.docs (id uuid PRIMARY KEY, owner_id uuid, tenant_id uuid);\n' +
    'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n' +
    'ALTER TABLE docs FORCE ROW LEVEL SECURITY;\n' +
    'CREATE TABLE notes (id int); -- 😀 no RLS\n' +
    'CREATE ROLE app_user;\n' +
    'GRANT SELECT, INSERT ON docs TO app_user, authenticated;\n',
  '2_functions.sql':
    '-- fonctions é 😀\n' +
    'CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp\n' +
    'AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM public.docs WHERE tenant_id = t); END $$;\n' +
    'REVOKE EXECUTE ON FUNCTION is_member(uuid) FROM PUBLIC;\n' +
    'GRANT EXECUTE ON FUNCTION is_member(uuid) TO authenticated;\n',
  '3_policies.sql':
    '-- Politiques ✓ 😀 «docs»\n' +
    "CREATE POLICY docs_select ON docs FOR SELECT TO authenticated USING (is_member(tenant_id) /* 😀 */);\n" +
    'CREATE POLICY docs_insert ON docs FOR INSERT TO app_user WITH CHECK (true);\n' +
    'CREATE POLICY docs_guard ON docs AS RESTRICTIVE FOR ALL TO authenticated USING (owner_id IS NOT NULL);\n' +
    'CREATE VIEW docs_view AS SELECT * FROM docs;\n',
};
