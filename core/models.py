"""Shared base models and the user account."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and modification times, plus a version for optimistic locking.

    ``version`` is increased by every service write; forms and the API send
    back the version they read so that a concurrent edit is detected instead
    of silently overwritten.
    """

    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Logs in by e-mail; acts through memberships."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("équipe de la plateforme"),
        default=False,
        help_text=_("Peut se connecter à l'administration."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=models.functions.Lower("email")), name="user_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class AuditLog(models.Model):
    """One row per write, opening of a household file, refusal or account event (DESIGN.md §3).

    Rows are immutable: the application's database role may INSERT and
    SELECT them, never UPDATE, DELETE or TRUNCATE (a trigger refuses it,
    migration ``0002_auditlog``); only the retention job, under the owner
    role, purges rows past ``AUDIT_RETENTION_DAYS`` (``core.audit``).

    Who and for whom are *snapshots* (plain integers and the e-mail at the
    time), not foreign keys: no ``ON DELETE`` may ever rewrite a row. No
    value of any field and no ``str()`` of the object is stored, only the
    names of the fields that changed, so that anonymising a household
    really erases its data.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("création")
        UPDATE = "update", _("modification")
        DELETE = "delete", _("suppression")
        VIEW = "view", _("consultation")
        REFUSED = "refused", _("accès refusé")
        LOGIN = "login", _("connexion")
        LOGOUT = "logout", _("déconnexion")
        LOGIN_FAILED = "login_failed", _("échec de connexion")
        EXPORT = "export", _("export")
        ARCHIVE = "archive", _("archivage")
        ANONYMISE = "anonymise", _("anonymisation")
        PURGE = "purge", _("purge du journal")

    at = models.DateTimeField(_("date et heure"), default=timezone.now, db_index=True, editable=False)
    user_id = models.BigIntegerField(_("identifiant de l'utilisateur"), null=True, blank=True)
    user_email = models.CharField(_("e-mail de l'utilisateur"), max_length=254, blank=True)
    membership_id = models.BigIntegerField(_("identifiant du rattachement"), null=True, blank=True)
    organisation_id = models.BigIntegerField(_("identifiant de l'organisation"), null=True, blank=True)
    role = models.CharField(_("rôle"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    model_label = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    fields = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("champs"),
        default=list,
        blank=True,
        help_text=_("Noms des champs concernés, jamais leurs valeurs."),
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    request_path = models.CharField(_("adresse de la page"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)  # nobody adds, changes or deletes audit rows
        indexes = [
            models.Index(fields=["model_label", "object_id"], name="auditlog_object_idx"),
            models.Index(fields=["organisation_id", "at"], name="auditlog_org_at_idx"),
            models.Index(fields=["user_id", "at"], name="auditlog_user_at_idx"),
        ]

    def __str__(self) -> str:
        target = f"{self.model_label} {self.object_id}".strip()
        return f"{self.get_action_display()} {target}".strip()


class ExportJob(models.Model):
    """A list export built in the background (above ``EXPORT_BACKGROUND_ROWS`` rows; ``core.exports``).

    Private to whoever asked for it, acting through one membership (plain
    integers, like the audit log: ``core`` has no foreign key to
    ``partners``). The page and the file are reached by an unguessable
    ``token``; another user, or the same user acting for another
    organisation, gets a 404. The file expires after
    ``EXPORT_FILE_TTL_HOURS``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("prêt")
        FAILED = "failed", _("échec")
        EXPIRED = "expired", _("expiré")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel")

    token = models.UUIDField(_("jeton"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("core.User", verbose_name=_("demandé par"), on_delete=models.CASCADE, related_name="export_jobs")
    membership_id = models.BigIntegerField(_("identifiant du rattachement"))
    organisation_id = models.BigIntegerField(_("identifiant de l'organisation"))
    role = models.CharField(_("rôle"), max_length=32, blank=True)
    list_name = models.CharField(_("liste"), max_length=50)
    title = models.CharField(_("intitulé"), max_length=200)
    builder = models.CharField(_("constructeur"), max_length=200, help_text=_("Fonction de l'application qui décrit la liste."))
    parameters = models.JSONField(_("paramètres"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    total_rows = models.PositiveIntegerField(_("lignes prévues"), default=0)
    row_count = models.PositiveIntegerField(_("lignes écrites"), null=True, blank=True)
    file = models.FileField(_("fichier"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now, db_index=True, editable=False)
    started_at = models.DateTimeField(_("démarré le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("export de liste")
        verbose_name_plural = _("exports de listes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "membership_id", "-created_at"], name="exportjob_owner_idx")]
        default_permissions = ("view", "delete")  # jobs are made by core.exports only

    def __str__(self) -> str:
        return f"{self.title} ({self.get_format_display()}, {self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)
