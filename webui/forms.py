"""The forms: WTForms fields named as the JSON fields, validated by ``webui.rules``."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from . import rules


class RuleCheck:
    """A WTForms validator that runs one check of ``webui.rules``: one rule, one place."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form: Form, field) -> None:
        if problem := self.check(field.data):
            raise ValidationError(problem.msg)


def _number(text: str | None) -> int | str | None:
    """What a typed number stands for: an int, None when blank, or the text itself
    (which the rule then rejects with the API's message)."""
    text = (text or "").strip()
    if not text:
        return None
    number = rules.parse_whole_number(text)
    return text if number is None else number


class LoraForm(Form):
    """The LoRA settings, rendered as ``lora_config-rank`` and ``lora_config-alpha``."""

    rank = StringField(rules.LABELS["rank"], render_kw={"inputmode": "numeric"})
    alpha = StringField(rules.LABELS["alpha"], render_kw={"inputmode": "numeric"})

    def body(self) -> dict[str, Any] | None:
        """The ``lora_config`` object these inputs stand for; None when both are blank."""
        rank, alpha = _number(self.rank.data), _number(self.alpha.data)
        if rank is None and alpha is None:
            return None
        return {"rank": rank, "alpha": alpha}


def _strip(text: str | None) -> str | None:
    return text.strip() if text else text


def _type_choices() -> dict[str, list[tuple[str, str]]]:
    return {group: [(value, value) for value in values]
            for group, values in rules.FINETUNING_TYPE_GROUPS.items()}


class AdapterForm(FlaskForm):
    """Create an adapter. Every rule comes from ``webui.rules``."""

    class Meta:
        def wrap_formdata(self, form: Form, formdata: object) -> object:
            """The inputs are a submitted form's text fields only. (Flask-WTF would also take
            uploaded files and a JSON body as inputs: a JSON list or number, or a file where
            text belongs, is no form.)"""
            return (request.form or None) if form.is_submitted() else None

    name = StringField(
        rules.LABELS["name"], validators=[RuleCheck(rules.check_name)],
        render_kw={"maxlength": rules.NAME_MAX, "required": True, "autocomplete": "off",
                   "spellcheck": "false"},
    )
    model = StringField(
        rules.LABELS["model"],
        render_kw={"maxlength": rules.MODEL_MAX, "required": True, "autocomplete": "off",
                   "spellcheck": "false", "list": "model-suggestions"},
    )
    fileset = StringField(
        rules.LABELS["fileset"], validators=[RuleCheck(rules.check_fileset)],
        render_kw={"maxlength": rules.FILESET_MAX, "required": True, "autocomplete": "off",
                   "spellcheck": "false"},
    )
    finetuning_type = SelectField(
        rules.LABELS["finetuning_type"], choices=_type_choices, validate_choice=False,
        validators=[RuleCheck(rules.check_finetuning_type)], render_kw={"required": True},
    )
    description = TextAreaField(
        rules.LABELS["description"], validators=[RuleCheck(rules.check_description)],
        filters=[lambda text: text or None],
        render_kw={"rows": 3, "maxlength": rules.DESCRIPTION_MAX},
    )
    enabled = BooleanField(rules.LABELS["enabled"], default=True)
    lora_config = FormField(LoraForm, label="LoRA settings")

    workspace: str | None = None  # the workspace the adapter goes in; set by the view

    def validate_model(self, field: StringField) -> None:
        """The model rule, with the workspace a bare name is resolved in."""
        if problem := rules.check_model(field.data, self.workspace):
            raise ValidationError(problem.msg)

    def uses_lora(self) -> bool:
        """Whether the chosen type is one the LoRA settings apply to."""
        return self.finetuning_type.data in rules.LORA_TYPES

    def validate(self, extra_validators=None) -> bool:
        """Every field, then the LoRA settings."""
        fields_ok = super().validate(extra_validators)
        return self.check_lora() and fields_ok

    def check_lora(self) -> bool:
        """LoRA settings are checked (by the API's parser) only for LoRA-family types."""
        lora = self.lora_config.form
        for subfield in lora:
            subfield.errors = []
        if not self.uses_lora():
            return True
        _, errors = rules.parse_lora_config(lora.body())
        for entry in errors:
            lora[entry["loc"][-1]].errors.append(entry["msg"])
        return not errors

    def validate_field(self, input_name: str) -> list[str] | None:
        """Check one input, by its HTML name; None if there is no such input."""
        if input_name.startswith("lora_config-"):
            subfield = self.lora_config.form._fields.get(input_name.removeprefix("lora_config-"))
            if subfield is None:
                return None
            self.check_lora()
            return list(subfield.errors)
        field = self._fields.get(input_name)
        if field is None or input_name in ("csrf_token", "lora_config"):
            return None
        inline = getattr(self.__class__, f"validate_{input_name}", None)
        field.validate(self, [inline] if inline else ())
        return list(field.errors)

    def body(self) -> dict[str, Any]:
        """The JSON body these inputs stand for, as the API would receive it."""
        return {
            "name": self.name.data,
            "model": self.model.data,
            "fileset": self.fileset.data,
            "finetuning_type": self.finetuning_type.data,
            "description": self.description.data,
            "enabled": self.enabled.data,
            "lora_config": self.lora_config.form.body() if self.uses_lora() else None,
        }

    def error_list(self) -> list[tuple[str, str, str]]:
        """Every message, with the id of its input and the input's label, for the summary."""
        found = []
        for field in self:
            if isinstance(field, FormField):
                found += [(sub.id, sub.label.text, msg)
                          for sub in field.form for msg in sub.errors]
            elif field.name != "csrf_token":
                found += [(field.id, field.label.text, msg) for msg in field.errors]
        return found


class WorkspaceForm(Form):
    """Open a workspace by name (a GET form: nothing changes, so no CSRF token)."""

    workspace = StringField(
        rules.LABELS["workspace"], validators=[RuleCheck(rules.check_workspace)],
        filters=[_strip],
        render_kw={"required": True, "autocomplete": "off", "spellcheck": "false"},
    )


class DescriptionForm(Form):
    """Change an adapter's description; blank clears it. (CSRF is checked for every POST.)"""

    description = TextAreaField(
        rules.LABELS["description"], validators=[RuleCheck(rules.check_description)],
        render_kw={"rows": 3},
    )


class LoginForm(Form):
    """Sign in. Every refusal says the same thing, so it tells nothing about who exists."""

    username = StringField(rules.LABELS["username"], render_kw={
        "autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
        "required": True, "maxlength": rules.USERNAME_MAX})
    password = PasswordField(rules.LABELS["password"], render_kw={
        "autocomplete": "current-password", "required": True})


class TokenForm(Form):
    """Make an API token."""

    label = StringField(rules.LABELS["label"], validators=[RuleCheck(rules.check_token_label)],
                        render_kw={"maxlength": rules.TOKEN_LABEL_MAX, "required": True,
                                   "autocomplete": "off"})
    expires_in_days = StringField(
        rules.LABELS["expires_in_days"], filters=[_number],
        validators=[RuleCheck(rules.check_expiry_days)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    read_only = BooleanField(rules.LABELS["read_only"])


class WorkspaceCreateForm(Form):
    """Make a workspace."""

    name = StringField(rules.LABELS["workspace"], validators=[
        RuleCheck(rules.check_new_workspace)], filters=[_strip],
        render_kw={"maxlength": rules.WORKSPACE_NEW_MAX, "required": True,
                   "autocomplete": "off", "spellcheck": "false"})
    description = TextAreaField(rules.LABELS["description"],
                                validators=[RuleCheck(rules.check_description)],
                                filters=[lambda text: text or None], render_kw={"rows": 3})


class MemberForm(Form):
    """Give a principal roles in a workspace."""

    principal = StringField(rules.LABELS["principal"], validators=[
        RuleCheck(rules.check_principal)], filters=[rules.normalise_username],
        render_kw={"maxlength": rules.USERNAME_MAX, "required": True, "autocomplete": "off",
                   "spellcheck": "false"})
    roles = SelectMultipleField(rules.LABELS["roles"], choices=list(rules.ROLES),
                                validate_choice=False, validators=[RuleCheck(rules.check_roles)],
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
