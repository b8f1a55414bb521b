"""The form models of the account pages (log in, forgotten and reset passwords, the own password, accepting
an invitation) and of the staff settings (inviting someone, changing a role), for the console's forms kit.

The routes keep reading their inputs as FastAPI ``Form`` parameters (the same names, limits and answers as
before); these models give the pages their inputs' labels, limits and help, and hold what was typed and what
is wrong beside each input. A password input is never typed back (the kit's ``password`` widget).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.json_schema import JsonDict

from loyaldesk.kernel.errors import FieldProblem
from loyaldesk.stores import Role
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, fields_of

ROLE_CHOICES: JsonDict = {role.value: role.value for role in Role}


def _email(**attrs: Any) -> Any:
    return Field(title="Email", max_length=320, json_schema_extra={"widget": "email", "attrs": attrs})


def _password(title: str, autocomplete: str, help: str = "", **attrs: Any) -> Any:
    return Field(
        title=title,
        max_length=256,
        description=help or None,
        json_schema_extra={
            "widget": "password",
            "attrs": {"autocomplete": autocomplete, "required": True, **attrs},
        },
    )


class LoginForm(ConsoleForm):
    email: str = _email(autocomplete="username", autofocus=True)
    password: str = _password("Password", "current-password")


class ForgotPasswordForm(ConsoleForm):
    email: str = _email(autocomplete="username", autofocus=True)


class ResetPasswordForm(ConsoleForm):
    new_password: str = _password(
        "New password", "new-password", "10 or more characters.", minlength=10, autofocus=True
    )


class ChangePasswordForm(ConsoleForm):
    current_password: str = _password("Current password", "current-password")
    new_password: str = _password("New password", "new-password", "10 or more characters.", minlength=10)


class AcceptInvitationForm(ConsoleForm):
    name: str = Field(
        default="",
        title="Your name",
        max_length=200,
        description="For a new account.",
        json_schema_extra={"attrs": {"autocomplete": "name"}},
    )
    password: str = _password("Password", "current-password", minlength=10)


class InviteForm(ConsoleForm):
    name: str = Field(default="", title="Name", max_length=200)
    email: str = _email()
    role: str = Field(default="agent", title="Role", json_schema_extra={"choices": ROLE_CHOICES})


class RoleForm(ConsoleForm):
    role: str = Field(title="Role", json_schema_extra={"choices": ROLE_CHOICES})


def refused(
    model: type[ConsoleForm], values: dict[str, Any], field: str, reason: str, **kw: Any
) -> FormState:
    """The form ``model`` showing ``values`` as typed (passwords are never shown) and ``reason`` beside
    the input ``field``."""
    state = blank_form(model, values, **kw)
    state.problems.append(FieldProblem(field, reason))
    return state


def failed(
    model: type[ConsoleForm], values: dict[str, Any], error: Exception, field: str, **kw: Any
) -> FormState:
    """The form ``model`` showing ``values`` as typed with the problems of ``error`` beside their inputs; a
    problem about no input of this form is put beside ``field``, never lost."""
    state = blank_form(model, values, **kw).fail(error, field=field)
    names = fields_of(model)
    state.problems = [
        problem if problem.field in names else FieldProblem(field, problem.reason)
        for problem in state.problems
    ]
    return state
