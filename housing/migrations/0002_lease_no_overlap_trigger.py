"""No two leases overlap on one unit.

An exclusion constraint would need btree_gist, which the embedded
PostgreSQL does not ship: a trigger enforces it instead, on INSERT and on
UPDATE of the unit or the dates. A lease without an end date runs forever.
The advisory lock per unit serialises concurrent inserts on the same unit,
so two transactions cannot both pass the check.
"""

from django.db import migrations

CREATE = r"""
CREATE FUNCTION housing_lease_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('housing_lease_unit'), NEW.unit_id::int);
    IF EXISTS (
        SELECT 1 FROM housing_lease other
        WHERE other.unit_id = NEW.unit_id
          AND other.id <> NEW.id
          AND daterange(other.starts_on, other.ends_on, '[]')
              && daterange(NEW.starts_on, NEW.ends_on, '[]')
    ) THEN
        RAISE EXCEPTION 'lease overlaps another lease on unit %', NEW.unit_id
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'lease_no_overlap_on_unit';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER lease_no_overlap
BEFORE INSERT OR UPDATE OF unit_id, starts_on, ends_on ON housing_lease
FOR EACH ROW EXECUTE FUNCTION housing_lease_no_overlap();
"""

DROP = """
DROP TRIGGER IF EXISTS lease_no_overlap ON housing_lease;
DROP FUNCTION IF EXISTS housing_lease_no_overlap();
"""


class Migration(migrations.Migration):
    dependencies = [("housing", "0001_initial")]
    operations = [migrations.RunSQL(CREATE, DROP)]
