-- A reporting view: runs with its owner's rights unless security_invoker is set.
CREATE VIEW project_summary AS
  SELECT p.tenant_id, count(*) AS projects
  FROM projects p
  GROUP BY p.tenant_id;

GRANT SELECT ON project_summary TO authenticated;
