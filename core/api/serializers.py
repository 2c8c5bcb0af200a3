"""Base serializer of the API: explicit fields, field policy applied per object.

- a field the actor may not read on *this* object (``core.access``'s field
  rules) is absent from its representation; ``hidden_with`` hides a field
  together with a protected one (the domestic-violence flag with the
  violence notes);
- a field that is not part of the resource is a 400 naming it (never
  silently dropped); writes go through the app's services, which refuse a
  field the actor may not write (``FieldsNotWritable`` → 400 naming it).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core import access


class ScopedModelSerializer(serializers.ModelSerializer):
    #: {field: protected field it shows or hides with}
    hidden_with: dict[str, str] = {}
    #: List serializers: leave out every field the access policy protects, so
    #: that a page never pays a policy check per row (those fields are read on
    #: the detail endpoint). Follows the policy: a field that becomes
    #: protected leaves the list by itself.
    unprotected_only = False

    def get_field_names(self, declared_fields, info):
        names = super().get_field_names(declared_fields, info)
        if not self.unprotected_only:
            return names
        protected = set(access.policy_for(self.Meta.model).fields) | set(self.hidden_with)
        return [name for name in names if name not in protected]

    @property
    def actor(self) -> access.Actor:
        request = self.context.get("request")
        return access.actor_of(request) if request is not None else access.NOBODY

    def to_representation(self, instance):
        data = super().to_representation(instance)
        policy = access.policy_for(instance)
        guarded = [name for name in data if name in policy.fields]
        guarded += [self.hidden_with[name] for name in data if name in self.hidden_with]
        if guarded:
            readable = set(access.readable_fields(self.actor, instance, guarded))
            for name in list(data):
                guard = self.hidden_with.get(name, name)
                if guard in guarded and guard not in readable:
                    del data[name]
        return data

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {name: [_("Ce champ n'existe pas dans cette ressource.")] for name in data if name not in self.fields}
            errors.update({
                name: [_("Ce champ est en lecture seule.")]
                for name in data
                if name in self.fields and self.fields[name].read_only and name not in self.ignored_read_only
            })
            if errors:
                raise serializers.ValidationError(dict(sorted(errors.items())))
        return super().to_internal_value(data)

    #: Read-only fields a client may send back unchanged (a GET then PUT of the whole object).
    ignored_read_only = frozenset({"id", "version", "created_at", "updated_at"})


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given by id, chosen among the rows the actor may see.

    An id the actor cannot see reads as one that does not exist (400, no
    hint that it exists). ``model`` is the target model.
    """

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        actor = access.actor_of(request) if request is not None else access.NOBODY
        return access.visible_to(actor, self.model)


class ActionInputSerializer(serializers.Serializer):
    """Input of an action on an object (a decision, a withdrawal…): unknown fields are a 400.

    ``version`` is the alternative to ``If-Match``.
    """

    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Version lue de l'objet (ou l'en-tête If-Match).")
    )
    #: Models whose fields give their French verbose name as the label of a field of the same name.
    label_models: tuple = ()

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if field.label is not None:
                continue
            for model in self.label_models:
                try:
                    verbose = model._meta.get_field(name).verbose_name
                except Exception:  # noqa: BLE001 - FieldDoesNotExist, or a relation without a verbose name
                    continue
                field.label = str(verbose)[:1].upper() + str(verbose)[1:]
                break
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Ce champ n'existe pas dans cette ressource.")] for name in unknown})
        return super().to_internal_value(data)
