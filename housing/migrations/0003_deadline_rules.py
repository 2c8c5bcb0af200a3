"""The legal deadlines of eviction prevention, as data.

Each row cites its text. A change of law is a new row with a later
``applies_from`` (and, when the law distinguishes by lease date, a
signature window): existing steps keep the rule that applied to them.
Texts as in force on the date of this migration; re-check on Légifrance
when the table is reviewed.
"""

from datetime import date

from django.db import migrations

LAW_2023 = date(2023, 7, 29)  # loi n° 2023-668 du 27 juillet 2023, in force 29/07/2023

RULES = [
    # Commandement de payer, leases signed from 29/07/2023: six weeks to pay
    # before the resolutory clause takes effect. Loi n° 89-462 du 6 juillet
    # 1989, art. 24 I, as amended by loi n° 2023-668 du 27 juillet 2023, art. 10.
    dict(code="payment-order-pay", step_kind="payment_order", label="Fin du délai pour payer (clause résolutoire)",
         delay=6, unit="weeks", applies_from=LAW_2023, lease_signed_from=LAW_2023, lease_signed_before=None,
         legal_reference="Loi n° 89-462 du 6 juillet 1989, art. 24 I (rédaction de la loi n° 2023-668)"),
    # Same step, leases signed before 29/07/2023: two months (the 2023 law
    # applies only to contracts concluded after its entry into force).
    dict(code="payment-order-pay", step_kind="payment_order", label="Fin du délai pour payer (clause résolutoire)",
         delay=2, unit="months", applies_from=date(1989, 7, 8), lease_signed_from=None, lease_signed_before=LAW_2023,
         legal_reference="Loi n° 89-462 du 6 juillet 1989, art. 24 I (rédaction antérieure à la loi n° 2023-668)"),
    # Saisine de la CCAPEX: a legal-person landlord may assign only two months
    # after referring the case to the CCAPEX. Loi n° 89-462, art. 24 II
    # (introduced by loi n° 2014-366 ALUR du 24 mars 2014).
    dict(code="ccapex-before-summons", step_kind="ccapex_referral", label="Assignation possible à partir du",
         delay=2, unit="months", applies_from=date(2014, 3, 27), lease_signed_from=None, lease_signed_before=None,
         legal_reference="Loi n° 89-462 du 6 juillet 1989, art. 24 II"),
    # Assignation: notified to the préfet at least six weeks before the
    # hearing (two months before the 2023 law); this triggers the diagnostic
    # social et financier. Loi n° 89-462, art. 24 III.
    dict(code="summons-hearing", step_kind="summons", label="Audience au plus tôt le",
         delay=6, unit="weeks", applies_from=LAW_2023, lease_signed_from=None, lease_signed_before=None,
         legal_reference="Loi n° 89-462 du 6 juillet 1989, art. 24 III (rédaction de la loi n° 2023-668)"),
    dict(code="summons-hearing", step_kind="summons", label="Audience au plus tôt le",
         delay=2, unit="months", applies_from=date(1998, 7, 31), lease_signed_from=None, lease_signed_before=None,
         legal_reference="Loi n° 89-462 du 6 juillet 1989, art. 24 III (rédaction antérieure à la loi n° 2023-668)"),
    # Commandement de quitter les lieux: two months before the eviction may
    # take place (and never during the trêve hivernale, L412-6).
    # Code des procédures civiles d'exécution, art. L412-1.
    dict(code="order-to-leave", step_kind="order_to_leave", label="Expulsion possible à partir du",
         delay=2, unit="months", applies_from=date(2012, 6, 1), lease_signed_from=None, lease_signed_before=None,
         legal_reference="Code des procédures civiles d'exécution, art. L412-1 et L412-6"),
    # Demande de concours de la force publique: the préfet's silence for two
    # months is a refusal. Code des procédures civiles d'exécution, art. R153-1.
    dict(code="police-request-silence", step_kind="police_request", label="Refus implicite du préfet le",
         delay=2, unit="months", applies_from=date(2012, 6, 1), lease_signed_from=None, lease_signed_before=None,
         legal_reference="Code des procédures civiles d'exécution, art. R153-1"),
]


def load(apps, schema_editor):
    DeadlineRule = apps.get_model("housing", "DeadlineRule")
    for row in RULES:
        DeadlineRule.objects.update_or_create(
            code=row["code"], applies_from=row["applies_from"], defaults=row
        )


def unload(apps, schema_editor):
    DeadlineRule = apps.get_model("housing", "DeadlineRule")
    for row in RULES:
        DeadlineRule.objects.filter(code=row["code"], applies_from=row["applies_from"]).delete()


class Migration(migrations.Migration):
    dependencies = [("housing", "0002_lease_no_overlap_trigger")]
    operations = [migrations.RunPython(load, unload)]
