"""Admin building blocks shared by every app, and the user admin.

* ``PROTECTED_FIELDS``: the one list of protected free-text fields (social
  notes, diagnostic, health, justice, violence; DESIGN.md §3). Platform
  staff do not read them: admin pages of household data show their label
  with a mask, never the value, and never an input. Until the access
  issue wires the full field policy (``core/access.py``), this dict is the
  policy of the admin.
* ``ProtectedFieldsAdminMixin``: applies that list to a ModelAdmin or an
  inline (form exclusion + masked read-only display).
* ``TimeStampedAdmin`` and the inline bases: read-only bookkeeping fields,
  ``select_related`` everywhere a ``__str__`` follows a foreign key,
  version bump on admin writes.
* A system check (``manage.py check``) refusing any registered admin or
  inline that would show a protected field in a list, a filter or a search,
  or that edits a model with protected fields without the mixin.

``core`` imports no other app of the project: models are named by their
``app_label.model_name`` label only.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, ReadOnlyPasswordHashField
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _

from core.models import User
from core.text import fold

# --------------------------------------------------------------------------
# Protected fields: the single list
# --------------------------------------------------------------------------

#: Protected free-text fields per model (``app_label.modelname``, lower case).
#: Readable only by the team of the support measure, never by platform staff.
PROTECTED_FIELDS: dict[str, tuple[str, ...]] = {
    "households.household": ("situation_notes", "health_notes", "justice_notes", "violence_notes"),
    "households.supportmeasure": ("diagnostic_notes", "outcome_notes"),
    "households.supportgoal": ("notes",),
    "households.goalreview": ("notes",),
    "households.contact": ("note",),
}

PROTECTED_VALUE_MASK = _("Contenu protégé : lisible uniquement par l'équipe qui accompagne le ménage.")
PROTECTED_DISPLAY_PREFIX = "protected_"


def protected_fields_for(model) -> tuple[str, ...]:
    """Names of the protected fields of ``model`` (a model class or instance)."""
    return PROTECTED_FIELDS.get(model._meta.label_lower, ())


def _masked_name(field_name: str) -> str:
    return f"{PROTECTED_DISPLAY_PREFIX}{field_name}"


def _masked_display(model, field_name: str):
    """A read-only admin 'field' with the label of ``field_name`` and a mask as value."""

    def display(obj) -> str:
        return PROTECTED_VALUE_MASK

    display.short_description = model._meta.get_field(field_name).verbose_name
    display.__name__ = _masked_name(field_name)
    return display


class ProtectedFieldsAdminMixin:
    """Protected fields are never form inputs and their value is never rendered.

    Works for ModelAdmin and InlineModelAdmin alike. Admins declare their
    fields and fieldsets with the real field names; the mixin removes those
    fields from the form and shows in their place a read-only line with the
    field's label and a mask. The list of fields comes from
    ``PROTECTED_FIELDS`` (override ``get_protected_fields`` only to add more).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.get_protected_fields():
            # lookup_field()/label_for_field() find admin attributes by name.
            setattr(self, _masked_name(name), _masked_display(self.model, name))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Every opening of household data in the admin leaves an audit row."""
        if object_id and request.method == "GET":
            from . import audit

            audit.record_event(
                user=request.user, action="view", model_label=self.model._meta.label,
                object_id=object_id, reason="admin", request=request,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from . import audit

        audit.record_event(
            user=request.user, action="update" if change else "create", model_label=self.model._meta.label,
            object_id=obj.pk, fields=form.changed_data, reason="admin", request=request,
        )

    def get_protected_fields(self) -> tuple[str, ...]:
        return protected_fields_for(self.model)

    def _mask(self, lines: Iterable) -> list:
        """Protected names replaced by their masked display, also inside ``("a", "b")`` lines."""
        protected = self.get_protected_fields()

        def mask(name):
            return _masked_name(name) if isinstance(name, str) and name in protected else name

        return [tuple(map(mask, line)) if isinstance(line, (list, tuple)) else mask(line) for line in lines]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        return [*exclude, *(n for n in self.get_protected_fields() if n not in exclude)]

    def get_readonly_fields(self, request, obj=None):
        protected = self.get_protected_fields()
        readonly = [n for n in super().get_readonly_fields(request, obj) if n not in protected]
        return [*readonly, *(_masked_name(n) for n in protected)]

    def get_fields(self, request, obj=None):
        return list(dict.fromkeys(self._mask(super().get_fields(request, obj))))

    def get_fieldsets(self, request, obj=None):
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fieldsets.append((title, {**options, "fields": self._mask(options.get("fields", ()))}))
        return fieldsets


# --------------------------------------------------------------------------
# Bases
# --------------------------------------------------------------------------

TRACKING_FIELDS = ("created_at", "updated_at", "version")


def _has_tracking(model) -> bool:
    names = {f.name for f in model._meta.get_fields()}
    return all(name in names for name in TRACKING_FIELDS)


def _bump_versions(instances: Iterable) -> None:
    for instance in instances:
        if instance.pk is not None and hasattr(instance, "version"):
            instance.version = (instance.version or 0) + 1


class RelatedQuerysetMixin:
    """``select_related`` on choice lists, from the related admin's ``list_select_related``.

    Many ``__str__`` follow a foreign key (a session shows its call, a
    measure its household and project): without this, every option of a
    select costs a query.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        related = getattr(related_admin, "list_select_related", None)
        if formfield is not None and isinstance(related, (list, tuple)) and related:
            formfield.queryset = formfield.queryset.select_related(*related)
        return formfield


class TimeStampedAdmin(RelatedQuerysetMixin, admin.ModelAdmin):
    """Base admin of the project's models.

    * creation/modification times and version shown read-only on the change page;
    * ``list_select_related`` (a tuple) also applies to the change view and to
      autocomplete results, where ``__str__`` often follows foreign keys;
    * an admin save increases ``version`` like every service write, so that an
      edit made elsewhere on a stale version is detected.
    """

    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) of the whole table on big lists
    tracking_fieldset_title = _("Suivi")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if isinstance(self.list_select_related, (list, tuple)) and self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and _has_tracking(self.model):
            readonly += [name for name in TRACKING_FIELDS if name not in readonly]
        return readonly

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self.fields and obj is not None and _has_tracking(self.model):
            shown = set(flatten(fields))
            fields += [name for name in TRACKING_FIELDS if name not in shown]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if self.fieldsets and obj is not None and _has_tracking(self.model):
            shown = {name for _title, options in fieldsets for name in flatten(options.get("fields", ()))}
            missing = [name for name in TRACKING_FIELDS if name not in shown]
            if missing:
                fieldsets.append((self.tracking_fieldset_title, {"fields": missing, "classes": ("collapse",)}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        if change:
            _bump_versions([obj])
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        _bump_versions(
            f.instance for f in formset.forms if f.instance.pk is not None and f.has_changed()
        )
        super().save_formset(request, form, formset, change)


class InlineDefaultsMixin(RelatedQuerysetMixin):
    extra = 0
    show_change_link = True
    #: ``select_related`` of the inline's rows (their ``__str__`` and columns).
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.select_related) if self.select_related else queryset


class TabularInline(InlineDefaultsMixin, admin.TabularInline):
    pass


class StackedInline(InlineDefaultsMixin, admin.StackedInline):
    pass


class ReadOnlyInlineMixin:
    """An inline that only summarises related rows (edited on their own page).

    Declare ``fields``: all of them are shown read-only.
    """

    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return list(flatten(self.fields or ()))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SelectRelatedListFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter whose choices' ``__str__`` follow foreign keys (one query, not one per choice).

    Uses the related admin's ``list_select_related``, like ``RelatedQuerysetMixin``.
    """

    def field_choices(self, field, request, model_admin):
        related_model = field.remote_field.model
        queryset = related_model._default_manager.complex_filter(field.get_limit_choices_to())
        related_admin = model_admin.admin_site._registry.get(related_model)
        related = getattr(related_admin, "list_select_related", None)
        if isinstance(related, (list, tuple)) and related:
            queryset = queryset.select_related(*related)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class FoldedSearchMixin:
    """Accent- and case-insensitive search on stored folded keys.

    The embedded PostgreSQL has no unaccent: folded keys (``search_key``,
    ``normalized_name``) are built in Python by ``core.text.fold``. The
    search term is folded the same way and every word must be found in one
    of ``folded_search_fields``; those rows are added to the ordinary
    ``search_fields`` results. Autocomplete uses it too.
    """

    folded_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        words = fold(search_term).split()
        if words and self.folded_search_fields:
            condition = Q()
            for word in words:
                condition &= reduce(or_, (Q(**{f"{field}__contains": word}) for field in self.folded_search_fields))
            # Forward paths only (``household__search_key``): no duplicate rows.
            results = results | queryset.filter(condition)
        return results, may_have_duplicates


# --------------------------------------------------------------------------
# System check: protected fields never in lists, filters or searches
# --------------------------------------------------------------------------

#: ModelAdmin options that would show, sort, filter or search a field's value.
_LISTING_OPTIONS = (
    "list_display", "list_display_links", "list_editable", "list_filter",
    "search_fields", "sortable_by", "ordering", "date_hierarchy",
)


def protected_path(model, path: str) -> str | None:
    """``label.field`` if the lookup ``path`` from ``model`` ends on a protected field."""
    current = model
    for part in path.lstrip("^=@-").split(LOOKUP_SEP):
        if part in protected_fields_for(current):
            return f"{current._meta.label}.{part}"
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if not (field.is_relation and field.related_model):
            return None
        current = field.related_model
    return None


def _option_paths(value) -> Iterable[str]:
    if value is None or value is False:
        return ()
    if isinstance(value, str):
        return (value,)
    paths = []
    for item in value:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            paths.append(item[0])  # (field, FilterClass) in list_filter
    return paths


def _check_admin_class(admin_class, model) -> list[checks.CheckMessage]:
    errors = []
    if protected_fields_for(model) and not issubclass(admin_class, ProtectedFieldsAdminMixin):
        errors.append(
            checks.Error(
                f"{admin_class.__qualname__} edits {model._meta.label}, which has protected fields, "
                "without ProtectedFieldsAdminMixin.",
                obj=admin_class,
                id="core.E101",
            )
        )
    for option in _LISTING_OPTIONS:
        for path in _option_paths(getattr(admin_class, option, None)):
            found = protected_path(model, path)
            if found:
                errors.append(
                    checks.Error(
                        f"{admin_class.__qualname__}.{option} uses the protected field {found}.",
                        hint="Protected fields are never listed, sorted, filtered or searched.",
                        obj=admin_class,
                        id="core.E102",
                    )
                )
    return errors


def _check_protected_fields_exist() -> list[checks.CheckMessage]:
    errors = []
    for label, names in PROTECTED_FIELDS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            errors.append(checks.Error(f"PROTECTED_FIELDS names an unknown model {label}.", id="core.E103"))
            continue
        for name in names:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                errors.append(checks.Error(f"PROTECTED_FIELDS names an unknown field {label}.{name}.", id="core.E103"))
    return errors


@checks.register(checks.Tags.admin)
def check_protected_fields_in_admin(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = _check_protected_fields_exist()
    for model, model_admin in admin.site._registry.items():
        errors += _check_admin_class(type(model_admin), model)
        for inline_class in model_admin.inlines:
            errors += _check_admin_class(inline_class, inline_class.model)
    return errors


# --------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------


def _clean_unique_email(form, email: str) -> str:
    email = User.objects.normalize_email(email).lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk is not None:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(_("Un utilisateur avec cette adresse e-mail existe déjà."), code="unique")
    return email


class UserCreationForm(BaseUserCreationForm):
    """E-mail and password, twice: the user logs in by e-mail (no username)."""

    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return _clean_unique_email(self, self.cleaned_data["email"])


class UserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(
        label=_("Mot de passe"),
        help_text=_("Les mots de passe ne sont pas stockés en clair : il n'est pas possible de les consulter."),
    )

    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        permissions = self.fields.get("user_permissions")
        if permissions:
            permissions.queryset = permissions.queryset.select_related("content_type")

    def clean_email(self) -> str:
        return _clean_unique_email(self, self.cleaned_data["email"])


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (
            _("Droits"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _(
                    "Les droits sur les données des organisations passent par les rattachements ; "
                    "ceux-ci ne concernent que l'administration de la plateforme."
                ),
            },
        ),
        (_("Dates importantes"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "first_name", "last_name", "is_staff", "is_superuser", "is_active", "last_login")
    list_display_links = ("email",)
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    filter_horizontal = ("groups", "user_permissions")
    show_full_result_count = False


# The audit log's read-only admin lives in its own module.
from . import audit_admin  # noqa: E402,F401
from . import export_admin  # noqa: E402,F401
