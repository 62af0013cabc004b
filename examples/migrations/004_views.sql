-- A reporting view: runs with its owner's rights unless security_invoker is set.
CREATE VIEW project_summary AS
  SELECT p.tenant_id, count(*) AS projects
  FROM projects p
  GROUP BY p.tenant_id;

GRANT SELECT ON project_summary TO authenticated;

-- The members' emails for an admin page: reads Supabase's auth.users with the view owner's rights.
CREATE VIEW member_emails AS
  SELECT id AS user_id, email FROM auth.users;
