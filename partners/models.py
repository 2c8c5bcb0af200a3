"""Organisations, the people who act for them, and their partnerships."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.text import fold

departement_code_validator = RegexValidator(
    r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$",
    _("Code de département INSEE invalide (ex. 69, 2A, 974)."),
)
siren_validator = RegexValidator(r"^\d{9}$", _("Le SIREN compte 9 chiffres."))


class OrganisationKind(models.TextChoices):
    LANDLORD = "landlord", _("Organisme Hlm (bailleur social)")
    LANDLORD_GROUP = "landlord_group", _("Groupement d'organismes Hlm")
    ASSOCIATION = "association", _("Association")
    SIAO = "siao", _("SIAO")
    CCAPEX = "ccapex", _("CCAPEX")
    STATE = "state", _("Service de l'État (DDETS, DDCS, DREAL…)")
    DEPARTMENT = "department", _("Conseil départemental")
    MUNICIPALITY = "municipality", _("Commune ou EPCI")
    CAF = "caf", _("CAF")
    ACTION_LOGEMENT = "action_logement", _("Action Logement")
    CGLLS = "cglls", _("CGLLS")
    FEDERATION = "federation", _("Fédération (USH)")
    HEALTH = "health", _("Établissement ou service de santé")
    JUSTICE = "justice", _("Justice (SPIP…)")
    OTHER = "other", _("Autre")


class Organisation(TimeStampedModel):
    """A legal entity taking part in the programme (landlord, association, funder…)."""

    name = models.CharField(_("nom"), max_length=255)
    # Accent-, case- and punctuation-folded name: deduplication and search key.
    normalized_name = models.CharField(_("nom normalisé"), max_length=255, unique=True, editable=False)
    short_name = models.CharField(_("sigle"), max_length=60, blank=True)
    kind = models.CharField(_("type"), max_length=32, choices=OrganisationKind.choices, db_index=True)
    group = models.ForeignKey(
        "self",
        verbose_name=_("groupement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_members",
        limit_choices_to={"kind": OrganisationKind.LANDLORD_GROUP},
        help_text=_("Groupement ou collectif d'organismes auquel appartient ce bailleur."),
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[siren_validator])
    departement = models.CharField(
        _("département"), max_length=3, blank=True, validators=[departement_code_validator]
    )
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail générique"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["siren"], condition=~Q(siren=""), name="organisation_siren_unique"
            ),
            models.CheckConstraint(condition=~Q(group=F("id")), name="organisation_not_own_group"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.normalized_name = normalize_organisation_name(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "normalized_name"}
        super().save(*args, **kwargs)

    @property
    def is_landlord(self) -> bool:
        return self.kind in (OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP)


def normalize_organisation_name(name: str) -> str:
    """Key under which two spellings of one organisation collide.

    "Grand Lyon Habitat", "GRAND LYON HABITAT" and "Grand-Lyon  habitat"
    give the same key; so do "Emmaüs Habitat" and "EMMAUS HABITAT".
    """
    return " ".join(fold(name).replace("-", " ").replace("'", " ").split())


class Role(models.TextChoices):
    LANDLORD_ADVISER = "landlord_adviser", _("Conseiller social (bailleur)")
    CASEWORKER = "caseworker", _("Travailleur social (association)")
    TEAM_LEAD = "team_lead", _("Chef de projet / responsable d'équipe")
    ORG_ADMIN = "org_admin", _("Administrateur de l'organisation")
    NATIONAL_STAFF = "national_staff", _("Équipe nationale (USH)")
    FUNDER = "funder", _("Financeur (État, collectivité)")
    PLATFORM_ADMIN = "platform_admin", _("Administrateur de la plateforme")


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True)


class Membership(TimeStampedModel):
    """A user acting for an organisation with a role (salarié rattaché)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    job_title = models.CharField(_("fonction"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    started_on = models.DateField(_("depuis le"), null=True, blank=True)
    ended_on = models.DateField(_("jusqu'au"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rattachement")
        verbose_name_plural = _("rattachements")
        ordering = ["organisation__name", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_one_per_organisation"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"


class Partnership(TimeStampedModel):
    """Convention de partenariat between a landlord and an association."""

    landlord = models.ForeignKey(
        Organisation,
        verbose_name=_("bailleur"),
        on_delete=models.PROTECT,
        related_name="partnerships_as_landlord",
    )
    association = models.ForeignKey(
        Organisation,
        verbose_name=_("association"),
        on_delete=models.PROTECT,
        related_name="partnerships_as_association",
    )
    title = models.CharField(_("intitulé"), max_length=255, blank=True)
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    notes = models.TextField(_("objet de la convention"), blank=True)

    class Meta:
        verbose_name = _("convention de partenariat")
        verbose_name_plural = _("conventions de partenariat")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=~Q(landlord=F("association")), name="partnership_two_parties"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="partnership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.landlord} – {self.association}"


class ApiTokenScope(models.TextChoices):
    READ = "read", _("Lecture seule")
    READ_WRITE = "read_write", _("Lecture et écriture")


class ApiToken(TimeStampedModel):
    """A personal API token, bound to one membership (the organisation it acts for).

    Only the SHA-256 of the token is stored; the token itself is shown once,
    when it is created (``partners.api_tokens``). ``key_id`` is its public
    part (shown in lists, used as the throttling key).
    """

    membership = models.ForeignKey(
        Membership, verbose_name=_("rattachement"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("nom"), max_length=100, help_text=_("À quoi sert ce jeton (ex. « Logiciel de suivi »)."))
    key_id = models.CharField(_("identifiant public"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("empreinte"), max_length=64, unique=True, editable=False)
    scope = models.CharField(_("portée"), max_length=16, choices=ApiTokenScope.choices, default=ApiTokenScope.READ)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at", "-id"]
        # Created by their owner only (the clear token is shown once, to them); the admin may revoke.
        default_permissions = ("view", "change")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"
