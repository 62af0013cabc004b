-- Multi-tenant SaaS schema — « projets », 日本語 comments and emoji 🚀 are fine here.
CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL
);

CREATE TABLE tenant_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  user_id uuid NOT NULL,
  role text NOT NULL DEFAULT 'member'
);

CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name text NOT NULL,
  row_id text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

-- Forgot RLS on this one.
CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  amount_cents integer NOT NULL
);

-- The app signs in as authenticated (Supabase grants this by default).
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, tenant_users, projects TO authenticated;
