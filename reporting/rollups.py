"""Refresh of the rollup tables (issue 8, point 4).

Reports and dashboards read the rollup tables of ``reporting.models`` only;
this module is the one place that computes them from the source rows, in
set-based SQL: a fixed number of ``INSERT … SELECT`` statements whatever
the number of households or contacts (no Python loop per row).

- :func:`rebuild` recomputes everything in one transaction (readers keep
  seeing the previous figures until it commits);
- :func:`refresh` recomputes only the support measures and the projects
  whose source rows changed since the last watermark (minus an overlap
  window, so that rows committed late are not missed, DESIGN.md §7), plus:
  measures without a fact row, measures whose number of visit-log rows
  differs from their fact (a deleted contact), and open measures when a new
  month starts (their months of support grow). Deletions of project money
  rows are picked up by the nightly full rebuild (beat schedule).

Order matters: measure facts and household-months first, then the project
tables, which read them.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from .models import (
    HouseholdMonth,
    MeasureFact,
    ProjectTargetProgress,
    ProjectYear,
    ProjectYearBreakdown,
    ProjectYearBudget,
    ProjectYearFunding,
    ProjectYearPayment,
    RollupWatermark,
)

WATERMARK = "rollups"
#: Rows saved before the watermark but committed after it are read again.
OVERLAP = datetime.timedelta(minutes=5)

MEASURE_TABLES = (MeasureFact, HouseholdMonth)
PROJECT_TABLES = (ProjectYear, ProjectTargetProgress, ProjectYearBudget, ProjectYearFunding, ProjectYearPayment, ProjectYearBreakdown)
ALL_TABLES = MEASURE_TABLES + PROJECT_TABLES


@dataclass
class RefreshResult:
    full: bool
    measures: int = 0
    projects: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"full": self.full, "measures": self.measures, "projects": self.projects, "rows": self.rows, "seconds": round(self.seconds, 3)}


# --------------------------------------------------------------------------
# SQL. ``{m}`` / ``{p}`` are replaced by the selection of measures / projects
# (``TRUE`` for a full rebuild); values are always bound parameters.
# --------------------------------------------------------------------------

_DEPARTEMENT_OF_UNIT = """
    CASE
        WHEN u.commune_insee <> '' AND left(u.commune_insee, 2) = '97' THEN left(u.commune_insee, 3)
        WHEN u.commune_insee <> '' THEN left(u.commune_insee, 2)
        WHEN left(u.postcode, 2) = '97' THEN left(u.postcode, 3)
        WHEN left(u.postcode, 2) = '20' THEN CASE WHEN u.postcode < '20200' THEN '2A' ELSE '2B' END
        ELSE left(u.postcode, 2)
    END
"""

MEASURE_FACTS = f"""
INSERT INTO reporting_measurefact (
    computed_at, measure_id, household_id, project_id, action_id, organisation_id, landlord_id, lead_landlord_id,
    category, session_id, departement, funder_ids, referral_source, referral_decision, prior_situation,
    kind, phase, intensity, outcome, oriented_on, identified_on, diagnostic_on, contract_signed_on, moved_in_on, ended_on,
    days_to_diagnostic, days_to_contract, days_to_move_in, days_to_end, days_total, days_oriented_to_contract, days_oriented_to_move_in,
    entry_arrears, exit_arrears, entry_housing_benefit, exit_housing_benefit, entry_minimum_income, exit_minimum_income,
    entry_health_cover, exit_health_cover, entry_employed, exit_employed, still_housed_12m,
    eviction_steps, eviction_cases, eviction_avoided, evicted,
    contacts, contacts_home_visit, contacts_office, contacts_phone, contacts_joint_visit, contacts_workshop, contacts_no_show,
    contact_minutes, contact_rows, first_contact_on, last_contact_on
)
WITH sel AS (
    SELECT m.* FROM households_supportmeasure m WHERE {{m}}
),
cs AS (
    SELECT c.measure_id,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind <> 'no_show') AS done,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'home_visit') AS home_visit,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'office') AS office,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'phone') AS phone,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'joint_visit') AS joint_visit,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'workshop') AS workshop,
           count(*) FILTER (WHERE c.status <> 'cancelled' AND c.kind = 'no_show') AS no_show,
           coalesce(sum(c.duration_minutes) FILTER (WHERE c.status = 'done'), 0) AS minutes,
           count(*) AS all_rows,
           min(c.occurred_on) FILTER (WHERE c.status = 'done' AND c.kind <> 'no_show') AS first_on,
           max(c.occurred_on) FILTER (WHERE c.status = 'done' AND c.kind <> 'no_show') AS last_on
    FROM households_contact c JOIN sel ON sel.id = c.measure_id
    GROUP BY c.measure_id
),
base AS (
    SELECT m.*, p.category, p.session_id, p.lead_landlord_id AS project_lead, p.departements,
           r.source AS r_source, r.decision AS r_decision, r.referred_on AS r_on, r.prior_situation AS r_situation,
           h.prior_situation AS h_situation,
           l.lessor_id AS l_lessor, ({_DEPARTEMENT_OF_UNIT}) AS unit_departement,
           coalesce(mv.move_in_on, nl.starts_on) AS move_in_on
    FROM sel m
    JOIN households_household h ON h.id = m.household_id
    JOIN projects_project p ON p.id = m.project_id
    LEFT JOIN LATERAL (
        SELECT r.source, r.decision, r.referred_on, r.prior_situation FROM households_referral r
        WHERE r.household_id = m.household_id AND (r.project_id = m.project_id OR r.project_id IS NULL)
        ORDER BY (r.referred_on <= m.identified_on) DESC, (r.project_id IS NOT NULL) DESC, r.referred_on DESC, r.id DESC
        LIMIT 1
    ) r ON TRUE
    LEFT JOIN LATERAL (
        SELECT l.lessor_id, l.unit_id FROM housing_lease l
        WHERE l.occupant_id = m.household_id AND l.starts_on <= coalesce(m.ended_on, %(today)s)
        ORDER BY l.starts_on DESC, l.id DESC LIMIT 1
    ) l ON TRUE
    LEFT JOIN housing_housingunit u ON u.id = l.unit_id
    LEFT JOIN LATERAL (
        SELECT min(a.occurred_on) AS move_in_on FROM housing_attributionstep a
        WHERE a.household_id = m.household_id AND a.kind = 'move_in'
          AND a.occurred_on >= m.identified_on AND a.occurred_on <= coalesce(m.ended_on, %(today)s)
    ) mv ON TRUE
    LEFT JOIN LATERAL (
        SELECT min(l2.starts_on) AS starts_on FROM housing_lease l2
        WHERE l2.occupant_id = m.household_id AND l2.parent_lease_id IS NULL
          AND l2.starts_on >= m.identified_on AND l2.starts_on <= coalesce(m.ended_on, %(today)s)
    ) nl ON TRUE
)
SELECT
    %(now)s, b.id, b.household_id, b.project_id, b.action_id, b.organisation_id, b.l_lessor, b.project_lead,
    b.category, b.session_id, coalesce(nullif(b.unit_departement, ''), b.departements[1], ''),
    ARRAY(SELECT DISTINCT f.funder_id FROM projects_funding f WHERE f.project_id = b.project_id AND f.decision = 'granted' ORDER BY 1),
    coalesce(b.r_source, ''), coalesce(b.r_decision, ''), coalesce(nullif(b.r_situation, ''), b.h_situation, ''),
    b.kind, b.phase, b.intensity, b.outcome, coalesce(least(b.r_on, b.identified_on), b.identified_on), b.identified_on,
    b.diagnostic_on, b.contract_signed_on, b.move_in_on, b.ended_on,
    b.diagnostic_on - coalesce(least(b.r_on, b.identified_on), b.identified_on),
    b.contract_signed_on - b.diagnostic_on,
    b.move_in_on - b.contract_signed_on,
    b.ended_on - b.move_in_on,
    b.ended_on - coalesce(least(b.r_on, b.identified_on), b.identified_on),
    b.contract_signed_on - coalesce(least(b.r_on, b.identified_on), b.identified_on),
    b.move_in_on - coalesce(least(b.r_on, b.identified_on), b.identified_on),
    se.rent_arrears, sx.rent_arrears, se.housing_benefit, sx.housing_benefit, se.minimum_income, sx.minimum_income,
    se.health_cover, sx.health_cover, se.employed, sx.employed, sf.still_housed,
    coalesce(ev.steps, ARRAY[]::varchar[]), coalesce(ev.cases, 0), coalesce(ev.avoided, FALSE), coalesce(ev.evicted, FALSE),
    coalesce(cs.done, 0), coalesce(cs.home_visit, 0), coalesce(cs.office, 0), coalesce(cs.phone, 0),
    coalesce(cs.joint_visit, 0), coalesce(cs.workshop, 0), coalesce(cs.no_show, 0),
    coalesce(cs.minutes, 0), coalesce(cs.all_rows, 0), cs.first_on, cs.last_on
FROM base b
LEFT JOIN cs ON cs.measure_id = b.id
LEFT JOIN households_situationsnapshot se ON se.measure_id = b.id AND se.moment = 'entry'
LEFT JOIN households_situationsnapshot sx ON sx.measure_id = b.id AND sx.moment = 'exit'
LEFT JOIN households_situationsnapshot sf ON sf.measure_id = b.id AND sf.moment = 'follow_up_12m'
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT s.kind ORDER BY s.kind) FILTER (WHERE s.kind IS NOT NULL) AS steps,
           count(DISTINCT c.id) AS cases,
           bool_or(c.status IN ('avoided', 'settled')) AS avoided,
           bool_or(c.status = 'evicted' OR s.kind = 'eviction') AS evicted
    FROM housing_evictioncase c
    JOIN housing_lease l ON l.id = c.lease_id
    LEFT JOIN housing_evictionstep s
        ON s.case_id = c.id AND s.occurred_on >= b.identified_on AND s.occurred_on <= coalesce(b.ended_on, %(today)s)
    WHERE l.occupant_id = b.household_id
      AND c.opened_on <= coalesce(b.ended_on, %(today)s) AND (c.closed_on IS NULL OR c.closed_on >= b.identified_on)
) ev ON TRUE
"""

HOUSEHOLD_MONTHS = """
INSERT INTO reporting_householdmonth (
    computed_at, measure_id, household_id, project_id, organisation_id, month, supported,
    contacts, home_visit, office, phone, joint_visit, workshop, no_show, minutes
)
WITH sel AS (
    SELECT m.id, m.household_id, m.project_id, m.organisation_id, m.identified_on, m.ended_on
    FROM households_supportmeasure m WHERE {m}
),
active AS (
    SELECT sel.id AS measure_id, gs::date AS month
    FROM sel, generate_series(
        date_trunc('month', sel.identified_on), date_trunc('month', coalesce(sel.ended_on, %(today)s)), interval '1 month'
    ) gs
),
cm AS (
    SELECT c.measure_id, date_trunc('month', c.occurred_on)::date AS month,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind <> 'no_show') AS contacts,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'home_visit') AS home_visit,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'office') AS office,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'phone') AS phone,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'joint_visit') AS joint_visit,
           count(*) FILTER (WHERE c.status = 'done' AND c.kind = 'workshop') AS workshop,
           count(*) FILTER (WHERE c.status <> 'cancelled' AND c.kind = 'no_show') AS no_show,
           coalesce(sum(c.duration_minutes) FILTER (WHERE c.status = 'done'), 0) AS minutes
    FROM households_contact c JOIN sel ON sel.id = c.measure_id
    WHERE c.status = 'done' OR (c.kind = 'no_show' AND c.status <> 'cancelled')
    GROUP BY 1, 2
),
keys AS (
    SELECT measure_id, month, bool_or(supported) AS supported FROM (
        SELECT measure_id, month, TRUE AS supported FROM active
        UNION ALL
        SELECT measure_id, month, FALSE FROM cm
    ) u GROUP BY measure_id, month
)
SELECT %(now)s, k.measure_id, sel.household_id, sel.project_id, sel.organisation_id, k.month, k.supported,
       coalesce(cm.contacts, 0), coalesce(cm.home_visit, 0), coalesce(cm.office, 0), coalesce(cm.phone, 0),
       coalesce(cm.joint_visit, 0), coalesce(cm.workshop, 0), coalesce(cm.no_show, 0), coalesce(cm.minutes, 0)
FROM keys k
JOIN sel ON sel.id = k.measure_id
LEFT JOIN cm ON cm.measure_id = k.measure_id AND cm.month = k.month
"""

PROJECT_YEARS = """
INSERT INTO reporting_projectyear (
    computed_at, project_id, year, referrals, referrals_accepted, referrals_refused,
    households_supported, households_entered, households_exited, measures_active, household_months, contacts,
    planned, spent, awarded, received, paid_to_partners
)
SELECT %(now)s, project_id, year, sum(referrals), sum(accepted), sum(refused),
       sum(supported), sum(entered), sum(exited), sum(active), sum(months), sum(contacts),
       sum(planned), sum(spent), sum(awarded), sum(received), sum(paid)
FROM (
    SELECT r.project_id, extract(year FROM r.referred_on)::int AS year,
           count(*) AS referrals, count(*) FILTER (WHERE r.decision = 'accepted') AS accepted,
           count(*) FILTER (WHERE r.decision = 'refused') AS refused,
           0 AS supported, 0 AS entered, 0 AS exited, 0 AS active, 0 AS months, 0 AS contacts,
           0::numeric AS planned, 0::numeric AS spent, 0::numeric AS awarded, 0::numeric AS received, 0::numeric AS paid
    FROM households_referral r WHERE r.project_id IS NOT NULL AND {p_r}
    GROUP BY 1, 2
    UNION ALL
    SELECT m.project_id, y, 0, 0, 0,
           count(DISTINCT m.household_id),
           count(DISTINCT m.household_id) FILTER (WHERE extract(year FROM m.identified_on) = y),
           count(DISTINCT m.household_id) FILTER (WHERE extract(year FROM m.ended_on) = y),
           count(*), 0, 0, 0, 0, 0, 0, 0
    FROM households_supportmeasure m,
         generate_series(extract(year FROM m.identified_on)::int, extract(year FROM coalesce(m.ended_on, %(today)s))::int) y
    WHERE {p_m}
    GROUP BY 1, 2
    UNION ALL
    SELECT hm.project_id, extract(year FROM hm.month)::int, 0, 0, 0, 0, 0, 0, 0,
           count(DISTINCT (hm.household_id, hm.month)) FILTER (WHERE hm.supported), sum(hm.contacts), 0, 0, 0, 0, 0
    FROM reporting_householdmonth hm WHERE {p_hm}
    GROUP BY 1, 2
    UNION ALL
    SELECT b.project_id, b.year, 0, 0, 0, 0, 0, 0, 0, 0, 0, sum(b.planned), 0, 0, 0, 0
    FROM projects_budgetline b WHERE {p_b}
    GROUP BY 1, 2
    UNION ALL
    SELECT b.project_id, b.year, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sum(e.amount), 0, 0, 0
    FROM projects_expense e JOIN projects_budgetline b ON b.id = e.budget_line_id WHERE {p_b}
    GROUP BY 1, 2
    UNION ALL
    SELECT f.project_id, extract(year FROM coalesce(f.decided_on, p.starts_on, f.created_at::date))::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sum(f.amount_awarded), 0, 0
    FROM projects_funding f JOIN projects_project p ON p.id = f.project_id
    WHERE f.decision = 'granted' AND {p_f}
    GROUP BY 1, 2
    UNION ALL
    SELECT pa.project_id, extract(year FROM pa.paid_on)::int, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           coalesce(sum(pa.amount) FILTER (WHERE pa.kind = 'grant_instalment'), 0),
           coalesce(sum(pa.amount) FILTER (WHERE pa.kind = 'partner_transfer'), 0)
    FROM projects_payment pa WHERE {p_pa}
    GROUP BY 1, 2
) t
GROUP BY project_id, year
"""

TARGET_PROGRESS = """
INSERT INTO reporting_projecttargetprogress (
    computed_at, project_id, project_year, period_start, period_end, target_households, target_units, households_supported
)
SELECT %(now)s, t.project_id, t.year, w.start_on, w.end_on, t.households, t.units,
       (SELECT count(DISTINCT m.household_id) FROM households_supportmeasure m
        WHERE m.project_id = t.project_id AND w.start_on IS NOT NULL
          AND m.identified_on <= w.end_on AND (m.ended_on IS NULL OR m.ended_on >= w.start_on))
FROM projects_projecttarget t
JOIN projects_project p ON p.id = t.project_id
CROSS JOIN LATERAL (
    SELECT (p.starts_on + (t.year - 1) * interval '1 year')::date AS start_on,
           (p.starts_on + t.year * interval '1 year' - interval '1 day')::date AS end_on
) w
WHERE {p_t}
"""

BUDGETS = """
INSERT INTO reporting_projectyearbudget (computed_at, project_id, year, kind, planned, spent)
SELECT %(now)s, project_id, year, kind, sum(planned), sum(spent) FROM (
    SELECT b.project_id, b.year, b.kind, b.planned, 0::numeric AS spent FROM projects_budgetline b WHERE {p_b}
    UNION ALL
    SELECT b.project_id, b.year, b.kind, 0, e.amount FROM projects_expense e JOIN projects_budgetline b ON b.id = e.budget_line_id WHERE {p_b}
) t
GROUP BY project_id, year, kind
"""

FUNDINGS = """
INSERT INTO reporting_projectyearfunding (computed_at, project_id, year, funder_id, programme, requested, awarded, received)
SELECT %(now)s, project_id, year, funder_id, programme, sum(requested), sum(awarded), sum(received) FROM (
    SELECT f.project_id, extract(year FROM coalesce(f.decided_on, p.starts_on, f.created_at::date))::int AS year,
           f.funder_id, f.programme, coalesce(f.amount_requested, 0) AS requested,
           CASE WHEN f.decision = 'granted' THEN f.amount_awarded ELSE 0 END AS awarded, 0::numeric AS received
    FROM projects_funding f JOIN projects_project p ON p.id = f.project_id WHERE {p_f}
    UNION ALL
    SELECT pa.project_id, extract(year FROM pa.paid_on)::int, f.funder_id, f.programme, 0, 0, pa.amount
    FROM projects_payment pa JOIN projects_funding f ON f.id = pa.funding_id
    WHERE pa.kind = 'grant_instalment' AND {p_pa}
) t
GROUP BY project_id, year, funder_id, programme
"""

PAYMENTS = """
INSERT INTO reporting_projectyearpayment (computed_at, project_id, year, kind, payer_id, payee_id, amount, payments)
SELECT %(now)s, pa.project_id, extract(year FROM pa.paid_on)::int, pa.kind, pa.payer_id, pa.payee_id, sum(pa.amount), count(*)
FROM projects_payment pa WHERE {p_pa}
GROUP BY 2, 3, 4, 5, 6
"""

BREAKDOWN = """
INSERT INTO reporting_projectyearbreakdown (computed_at, project_id, year, dimension, value, households, measures, value_sum, value_count)
WITH facts AS (SELECT f.* FROM reporting_measurefact f WHERE {p_fact}),
active AS (
    SELECT f.*, y FROM facts f,
         generate_series(extract(year FROM f.identified_on)::int, extract(year FROM coalesce(f.ended_on, %(today)s))::int) y
),
items AS (
    SELECT a.project_id, a.y, d.dimension, d.value, a.household_id, a.measure_id, 0::numeric AS amount, 0 AS counted
    FROM active a CROSS JOIN LATERAL (VALUES
        ('referral_source', nullif(a.referral_source, '')),
        ('prior_situation', nullif(a.prior_situation, '')),
        ('kind', a.kind),
        ('intensity', nullif(a.intensity, '')),
        ('organisation', a.organisation_id::text),
        ('landlord', a.landlord_id::text),
        ('departement', nullif(a.departement, '')),
        ('eviction', CASE WHEN a.eviction_avoided THEN 'avoided' END),
        ('eviction', CASE WHEN a.evicted THEN 'evicted' END)
    ) d(dimension, value)
    UNION ALL
    SELECT a.project_id, a.y, 'eviction_step', s.kind, a.household_id, a.measure_id, 0, 0
    FROM active a CROSS JOIN LATERAL unnest(a.eviction_steps) s(kind)
    UNION ALL
    SELECT f.project_id, extract(year FROM f.ended_on)::int, d.dimension, d.value, f.household_id, f.measure_id,
           coalesce(d.amount, 0), d.counted
    FROM facts f CROSS JOIN LATERAL (VALUES
        ('outcome', nullif(f.outcome, ''), NULL::numeric, 0),
        ('entry_right', CASE WHEN f.entry_housing_benefit THEN 'housing_benefit' END, NULL, 0),
        ('entry_right', CASE WHEN f.entry_minimum_income THEN 'minimum_income' END, NULL, 0),
        ('entry_right', CASE WHEN f.entry_health_cover THEN 'health_cover' END, NULL, 0),
        ('entry_right', CASE WHEN f.entry_employed THEN 'employed' END, NULL, 0),
        ('exit_right', CASE WHEN f.exit_housing_benefit THEN 'housing_benefit' END, NULL, 0),
        ('exit_right', CASE WHEN f.exit_minimum_income THEN 'minimum_income' END, NULL, 0),
        ('exit_right', CASE WHEN f.exit_health_cover THEN 'health_cover' END, NULL, 0),
        ('exit_right', CASE WHEN f.exit_employed THEN 'employed' END, NULL, 0),
        ('arrears', CASE WHEN f.entry_arrears IS NOT NULL THEN 'entry' END, f.entry_arrears, 1),
        ('arrears', CASE WHEN f.exit_arrears IS NOT NULL THEN 'exit' END, f.exit_arrears, 1),
        ('still_housed_12m', CASE WHEN f.still_housed_12m THEN 'yes' WHEN NOT f.still_housed_12m THEN 'no' END, NULL, 0)
    ) d(dimension, value, amount, counted)
    WHERE f.ended_on IS NOT NULL
    UNION ALL
    SELECT f.project_id, d.y, 'duration', d.value, f.household_id, f.measure_id, d.days, 1
    FROM facts f CROSS JOIN LATERAL (VALUES
        ('orientation_to_diagnostic', f.days_to_diagnostic, extract(year FROM f.diagnostic_on)::int),
        ('diagnostic_to_contract', f.days_to_contract, extract(year FROM f.contract_signed_on)::int),
        ('contract_to_move_in', f.days_to_move_in, extract(year FROM f.moved_in_on)::int),
        ('move_in_to_end', f.days_to_end, extract(year FROM f.ended_on)::int),
        ('orientation_to_contract', f.days_oriented_to_contract, extract(year FROM f.contract_signed_on)::int),
        ('orientation_to_move_in', f.days_oriented_to_move_in, extract(year FROM f.moved_in_on)::int),
        ('orientation_to_end', f.days_total, extract(year FROM f.ended_on)::int)
    ) d(value, days, y)
    WHERE d.days IS NOT NULL
)
SELECT %(now)s, project_id, y, dimension, value, count(DISTINCT household_id), count(DISTINCT measure_id), sum(amount), sum(counted)
FROM items WHERE value IS NOT NULL
GROUP BY project_id, y, dimension, value
UNION ALL
SELECT %(now)s, hm.project_id, extract(year FROM hm.month)::int, 'contact_kind', k.kind,
       count(DISTINCT hm.household_id) FILTER (WHERE k.n > 0), count(DISTINCT hm.measure_id) FILTER (WHERE k.n > 0),
       sum(k.n), count(DISTINCT (hm.household_id, hm.month)) FILTER (WHERE hm.supported)
FROM reporting_householdmonth hm CROSS JOIN LATERAL (VALUES
    ('home_visit', hm.home_visit), ('office', hm.office), ('phone', hm.phone), ('joint_visit', hm.joint_visit),
    ('workshop', hm.workshop), ('no_show', hm.no_show), ('all', hm.contacts)
) k(kind, n)
WHERE {p_hm}
GROUP BY hm.project_id, extract(year FROM hm.month)::int, k.kind
UNION ALL
SELECT %(now)s, hm.project_id, extract(year FROM hm.month)::int, 'intensity_months', coalesce(nullif(f.intensity, ''), 'none'),
       count(DISTINCT hm.household_id), count(DISTINCT hm.measure_id), 0, count(*) FILTER (WHERE hm.supported)
FROM reporting_householdmonth hm JOIN reporting_measurefact f ON f.measure_id = hm.measure_id
WHERE {p_hm}
GROUP BY hm.project_id, extract(year FROM hm.month)::int, coalesce(nullif(f.intensity, ''), 'none')
UNION ALL
SELECT %(now)s, r.project_id, extract(year FROM r.referred_on)::int, d.dimension, d.value,
       count(DISTINCT r.household_id), count(*), 0, 0
FROM households_referral r CROSS JOIN LATERAL (VALUES
    ('oriented_by', r.source),
    ('oriented_' || r.decision || '_by', r.source),
    ('oriented_prior_situation', nullif(r.prior_situation, ''))
) d(dimension, value)
WHERE r.project_id IS NOT NULL AND d.value IS NOT NULL AND {p_r}
GROUP BY r.project_id, extract(year FROM r.referred_on)::int, d.dimension, d.value
"""

CHANGED_MEASURES = """
SELECT m.id FROM households_supportmeasure m WHERE m.updated_at >= %(since)s
UNION SELECT c.measure_id FROM households_contact c WHERE c.updated_at >= %(since)s
UNION SELECT s.measure_id FROM households_situationsnapshot s WHERE s.updated_at >= %(since)s
UNION SELECT m.id FROM households_supportmeasure m JOIN households_household h ON h.id = m.household_id
      WHERE h.updated_at >= %(since)s
UNION SELECT m.id FROM households_supportmeasure m JOIN households_referral r ON r.household_id = m.household_id
      WHERE r.updated_at >= %(since)s
UNION SELECT m.id FROM households_supportmeasure m JOIN housing_attributionstep a ON a.household_id = m.household_id
      WHERE a.updated_at >= %(since)s
UNION SELECT m.id FROM households_supportmeasure m JOIN housing_lease l ON l.occupant_id = m.household_id
      JOIN housing_housingunit u ON u.id = l.unit_id
      WHERE l.updated_at >= %(since)s OR u.updated_at >= %(since)s
UNION SELECT m.id FROM households_supportmeasure m JOIN housing_lease l ON l.occupant_id = m.household_id
      JOIN housing_evictioncase c ON c.lease_id = l.id
      WHERE c.updated_at >= %(since)s
         OR EXISTS (SELECT 1 FROM housing_evictionstep s WHERE s.case_id = c.id AND s.updated_at >= %(since)s)
UNION SELECT m.id FROM households_supportmeasure m JOIN projects_project p ON p.id = m.project_id
      WHERE p.updated_at >= %(since)s
         OR EXISTS (SELECT 1 FROM projects_funding f WHERE f.project_id = p.id AND f.updated_at >= %(since)s)
-- A measure without its fact row (created by a path that left updated_at in the past).
UNION SELECT m.id FROM households_supportmeasure m
      WHERE NOT EXISTS (SELECT 1 FROM reporting_measurefact f WHERE f.measure_id = m.id)
-- A visit-log row deleted: the count no longer matches the fact.
UNION SELECT f.measure_id FROM reporting_measurefact f
      LEFT JOIN (SELECT measure_id, count(*) AS n FROM households_contact GROUP BY measure_id) c ON c.measure_id = f.measure_id
      WHERE coalesce(c.n, 0) <> f.contact_rows
-- Open measures when a new month starts: one more month of support.
UNION SELECT m.id FROM households_supportmeasure m
      WHERE m.ended_on IS NULL AND m.identified_on <= %(today)s
        AND NOT EXISTS (SELECT 1 FROM reporting_householdmonth hm WHERE hm.measure_id = m.id AND hm.month = %(month)s)
"""

CHANGED_PROJECTS = """
SELECT p.id FROM projects_project p WHERE p.updated_at >= %(since)s
UNION SELECT t.project_id FROM projects_projecttarget t WHERE t.updated_at >= %(since)s
UNION SELECT b.project_id FROM projects_budgetline b WHERE b.updated_at >= %(since)s
UNION SELECT e.project_id FROM projects_expense e WHERE e.updated_at >= %(since)s
UNION SELECT f.project_id FROM projects_funding f WHERE f.updated_at >= %(since)s
UNION SELECT pa.project_id FROM projects_payment pa WHERE pa.updated_at >= %(since)s
UNION SELECT r.project_id FROM households_referral r WHERE r.project_id IS NOT NULL AND r.updated_at >= %(since)s
UNION SELECT m.project_id FROM households_supportmeasure m WHERE m.id = ANY(%(measures)s)
UNION SELECT f.project_id FROM reporting_measurefact f WHERE f.measure_id = ANY(%(measures)s)
"""


def _project_filters(selected: bool) -> dict[str, str]:
    def cond(column: str) -> str:
        return f"{column} = ANY(%(projects)s)" if selected else "TRUE"

    return {
        "p_r": cond("r.project_id"), "p_m": cond("m.project_id"), "p_hm": cond("hm.project_id"), "p_b": cond("b.project_id"),
        "p_f": cond("f.project_id"), "p_pa": cond("pa.project_id"), "p_t": cond("t.project_id"), "p_fact": cond("f.project_id"),
    }


def _execute(cursor, sql: str, params: dict) -> int:
    cursor.execute(sql, params)
    return max(cursor.rowcount, 0)


def _params(now: datetime.datetime, today: datetime.date, **extra) -> dict:
    return {"now": now, "today": today, **extra}


def _compute_measures(cursor, measure_ids: list[int] | None, params: dict) -> dict[str, int]:
    m = "m.id = ANY(%(measures)s)" if measure_ids is not None else "TRUE"
    params = {**params, "measures": measure_ids or []}
    return {
        "measure_facts": _execute(cursor, MEASURE_FACTS.format(m=m), params),
        "household_months": _execute(cursor, HOUSEHOLD_MONTHS.format(m=m), params),
    }


def _compute_projects(cursor, project_ids: list[int] | None, params: dict) -> dict[str, int]:
    filters = _project_filters(project_ids is not None)
    params = {**params, "projects": project_ids or []}
    return {
        "project_years": _execute(cursor, PROJECT_YEARS.format(**filters), params),
        "target_progress": _execute(cursor, TARGET_PROGRESS.format(**filters), params),
        "budgets": _execute(cursor, BUDGETS.format(**filters), params),
        "fundings": _execute(cursor, FUNDINGS.format(**filters), params),
        "payments": _execute(cursor, PAYMENTS.format(**filters), params),
        "breakdown": _execute(cursor, BREAKDOWN.format(**filters), params),
    }


def _delete(cursor, models: Iterable, column: str | None = None, ids: list[int] | None = None) -> None:
    for model in models:
        table = model._meta.db_table
        if column is None:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names come from the models
        else:
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [ids])  # noqa: S608


def _save_watermark(*, watermark: datetime.datetime, now: datetime.datetime, seconds: float, counts: dict, full: bool) -> None:
    values = {"watermark": watermark, "refreshed_at": now, "last_duration_ms": int(seconds * 1000), "last_counts": counts}
    if full:
        values["full_rebuild_at"] = now
    RollupWatermark.objects.update_or_create(name=WATERMARK, defaults=values)


def _today(now: datetime.datetime) -> datetime.date:
    return timezone.localtime(now).date()


def rebuild(*, now: datetime.datetime | None = None) -> RefreshResult:
    """Recompute every rollup table from the source rows, atomically."""
    started = time.monotonic()
    now = now or timezone.now()
    params = _params(now, _today(now))
    with transaction.atomic(), connection.cursor() as cursor:
        # Serialises with a concurrent refresh (the watermark row is the lock).
        RollupWatermark.objects.select_for_update().filter(name=WATERMARK).first()
        _delete(cursor, reversed(ALL_TABLES))
        counts = _compute_measures(cursor, None, params)
        counts.update(_compute_projects(cursor, None, params))
        cursor.execute("SELECT count(*) FROM households_supportmeasure")
        measures = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM projects_project")
        projects = cursor.fetchone()[0]
        seconds = time.monotonic() - started
        _save_watermark(watermark=now, now=now, seconds=seconds, counts=counts, full=True)
    return RefreshResult(full=True, measures=measures, projects=projects, rows=counts, seconds=time.monotonic() - started)


def refresh(*, changed_since: datetime.datetime | None = None, now: datetime.datetime | None = None) -> RefreshResult:
    """Recompute the measures and projects whose source rows changed since ``changed_since``.

    Without ``changed_since`` the stored watermark (minus :data:`OVERLAP`)
    is used; with no watermark yet, this is a full :func:`rebuild`.
    """
    started = time.monotonic()
    now = now or timezone.now()
    today = _today(now)
    with transaction.atomic(), connection.cursor() as cursor:
        mark = RollupWatermark.objects.select_for_update().filter(name=WATERMARK).first()
        if changed_since is None:
            if mark is None:
                return rebuild(now=now)
            changed_since = mark.watermark - OVERLAP
        params = _params(now, today, since=changed_since, month=today.replace(day=1))
        cursor.execute(CHANGED_MEASURES, params)
        measure_ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(CHANGED_PROJECTS, {**params, "measures": measure_ids})
        project_ids = sorted(row[0] for row in cursor.fetchall() if row[0] is not None)
        counts: dict[str, int] = {}
        if measure_ids:
            _delete(cursor, reversed(MEASURE_TABLES), "measure_id", measure_ids)
            counts.update(_compute_measures(cursor, measure_ids, params))
        if project_ids:
            _delete(cursor, reversed(PROJECT_TABLES), "project_id", project_ids)
            counts.update(_compute_projects(cursor, project_ids, params))
        seconds = time.monotonic() - started
        _save_watermark(watermark=now, now=now, seconds=seconds, counts=counts, full=False)
    return RefreshResult(
        full=False, measures=len(measure_ids), projects=len(project_ids), rows=counts, seconds=time.monotonic() - started
    )


def table_counts() -> dict[str, int]:
    """Rows per rollup table (for the management command and the admin)."""
    return {model._meta.model_name: model.objects.count() for model in ALL_TABLES}


def load_if_never_built(stdout=None) -> None:
    """Bootstrap loader (``make run``): build the rollups once after the demo is loaded.

    Afterwards the beat task refreshes them every ten minutes; a database whose
    rollups were already built is left alone.
    """
    from households.models import SupportMeasure

    if RollupWatermark.objects.filter(name=WATERMARK).exists() or not SupportMeasure.objects.exists():
        return
    result = rebuild()
    if stdout is not None:
        stdout.write(f"Agrégats des tableaux de bord calculés en {result.seconds:.1f} s.")
