"""Fix the overlap trigger of 0002.

- A lease that ends before it starts is left to the CHECK constraint
  ``lease_ends_after_start`` (which names the field), instead of failing
  in daterange() with a DataError.
- The advisory lock key is a bigint hash of the unit id: ``unit_id::int``
  overflowed for ids above 2^31 - 1.
"""

from django.db import migrations

REPLACE = r"""
CREATE OR REPLACE FUNCTION housing_lease_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ends_on IS NOT NULL AND NEW.ends_on < NEW.starts_on THEN
        RETURN NEW;  -- refused by the CHECK constraint lease_ends_after_start
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('housing_lease_unit:' || NEW.unit_id::text, 0));
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
"""

PREVIOUS = r"""
CREATE OR REPLACE FUNCTION housing_lease_no_overlap() RETURNS trigger
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
"""


class Migration(migrations.Migration):
    dependencies = [("housing", "0003_deadline_rules")]
    operations = [migrations.RunSQL(REPLACE, PREVIOUS)]
