-- Makes FerretDB v1's indexes usable on its PostgreSQL handler. `npm run infra -- up` runs this in
-- FerretDB's database (as the cluster's superuser: event triggers need it) before FerretDB starts, at
-- every start, so it must stay idempotent.
--
-- Why: FerretDB v1 turns an equality filter such as `{files_id: X}` into `_jsonb -> 'files_id' @> X`,
-- and the indexes it creates for `createIndexes` are btree indexes on `_jsonb -> 'field'`, which cannot
-- serve `@>`. Every find was a sequential scan that de-TOASTs each document: reading one 3 MB GridFS
-- file scanned every stored chunk, so its cost grew with the data (about 1.3 ms per stored MB).
-- A GIN index on the same expression serves `@>`; this file gives every FerretDB btree index a GIN
-- companion on its first key (an event trigger covers collections created later), and plans every
-- statement with its parameters (FerretDB passes the field name as a parameter, which a generic plan
-- cannot match against an index expression).

CREATE OR REPLACE FUNCTION flotilla_gin_companion(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  idx record;
  expr text;
BEGIN
  SELECT c.relname AS index_name, n.nspname AS schema_name, t.relname AS table_name, am.amname AS method
    INTO idx
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = c.relam
   WHERE i.indexrelid = index_oid;
  IF NOT FOUND OR idx.method <> 'btree' THEN
    RETURN;
  END IF;
  -- FerretDB's index keys: `(_jsonb -> 'field')`, or `(_jsonb #> '{a,b}')` for dotted paths.
  expr := pg_get_indexdef(index_oid, 1, false);
  IF expr NOT LIKE '((_jsonb -> %' AND expr NOT LIKE '((_jsonb #> %' THEN
    RETURN;
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin (%s)',
    left(idx.index_name, 59) || '_gin', idx.schema_name, idx.table_name, expr
  );
END
$$;

CREATE OR REPLACE FUNCTION flotilla_gin_companions_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
BEGIN
  FOR command IN
    SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index'
  LOOP
    PERFORM flotilla_gin_companion(command.objid);
  END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS flotilla_gin_companions;
CREATE EVENT TRIGGER flotilla_gin_companions ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION flotilla_gin_companions_on_create();

-- Indexes created before this file ran (an existing store) get their companions now.
SELECT flotilla_gin_companion(i.indexrelid)
  FROM pg_index i
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');

DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
END
$$;
