ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

-- Members see the members of their tenants… by reading tenant_users inside its own policy.
CREATE POLICY tenant_users_read ON tenant_users FOR SELECT TO authenticated
  USING (tenant_id IN (SELECT tenant_id FROM tenant_users WHERE user_id = auth.uid()));

CREATE POLICY tenants_read ON tenants FOR SELECT TO authenticated
  USING (id IN (SELECT tenant_id FROM tenant_users WHERE user_id = (select auth.uid())));

CREATE POLICY projects_read ON projects FOR SELECT TO authenticated
  USING (tenant_id = current_setting('app.tenant_id', true)::uuid);

CREATE POLICY projects_update ON projects FOR UPDATE TO authenticated
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

CREATE POLICY projects_delete ON projects FOR DELETE
  USING (true);
