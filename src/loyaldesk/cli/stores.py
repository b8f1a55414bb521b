"""Store administration: ``stores create|list``, ``staff add|invite|reset-link``, ``api-keys create``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from loyaldesk.cli.common import (
    current_settings,
    fail,
    keys_app,
    open_database,
    out,
    staff_app,
    store_id_of,
    stores_app,
)


@stores_app.command("create")
def create_store(
    slug: Annotated[str, typer.Option(help="Short name used in URLs, e.g. 'acme'.")],
    name: Annotated[str, typer.Option(help="The store's name.")],
    owner_email: Annotated[str, typer.Option(help="Email of the first owner.")],
    owner_name: Annotated[str, typer.Option(help="Name of the first owner.")] = "",
    currency: Annotated[str, typer.Option()] = "EUR",
    timezone: Annotated[str, typer.Option()] = "Europe/Amsterdam",
    locale: Annotated[str, typer.Option()] = "en",
    default_language: Annotated[
        str | None, typer.Option(help="Language shoppers see unless their profile names one (en, de).")
    ] = None,
) -> None:
    """Create a store and its first owner (asks for the owner's password if the account is new)."""
    from loyaldesk.kernel.actors import SYSTEM, system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import actions, check_password, hash_password
    from loyaldesk.stores import queries as store_queries

    with open_database() as database:
        password_hash = None
        with database.read() as session:
            if store_queries.staff_account_by_email(session, owner_email) is None:
                password = typer.prompt("Password for the owner", hide_input=True, confirmation_prompt=True)
                password_hash = hash_password(check_password(password))

        def create(uow):  # type: ignore[no-untyped-def]
            store = actions.create_store(
                uow,
                SYSTEM,
                slug=slug,
                name=name,
                currency=currency,
                timezone=timezone,
                locale=locale,
                default_language=default_language,
            )
            actions.add_staff_member(
                uow,
                system_for(store.id),
                store.id,
                email=owner_email,
                name=owner_name or owner_email,
                role="owner",
                password_hash=password_hash,
            )
            return store.id

        try:
            store_id = database.write(create)
        except DomainError as error:
            raise fail(error.message) from None
        out.print(f"Created store [bold]{slug}[/] (id {store_id}); {owner_email} is its owner.")


@stores_app.command("set-language")
def set_store_language(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    language: Annotated[str, typer.Option(help="en, de, or 'browser' to follow each shopper's browser.")],
) -> None:
    """Set the language a store's shoppers see unless their profile names one (docs/i18n.md)."""
    from loyaldesk.kernel.actors import SYSTEM
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import set_default_language, store_by_slug

    with open_database() as database:
        with database.read() as session:
            store_id = store_by_slug(session, store).id
        chosen = None if language == "browser" else language
        try:
            database.write(set_default_language, SYSTEM, store_id, chosen)
        except DomainError as error:
            raise fail(error.message) from None
        shown = chosen or "the language of their browser"
        out.print(f"Shoppers of [bold]{store}[/] now see {shown} unless their profile names one.")


@stores_app.command("list")
def list_stores() -> None:
    """List the stores of this install."""
    from loyaldesk.stores import queries as store_queries

    with open_database() as database:
        with database.read() as session:
            stores = store_queries.all_stores(session)
        table = Table("id", "slug", "name", "currency", "timezone")
        for store in stores:
            table.add_row(str(store.id), store.slug, store.name, store.currency, store.timezone)
        out.print(table)


@staff_app.command("add")
def add_staff(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    email: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, admin, agent or analyst.")],
    name: Annotated[str, typer.Option()] = "",
) -> None:
    """Give someone a role in a store (asks for a password if their account is new)."""
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import actions, check_password, hash_password
    from loyaldesk.stores import queries as store_queries

    with open_database() as database:
        store_id = store_id_of(database, store)
        password_hash = None
        with database.read() as session:
            if store_queries.staff_account_by_email(session, email) is None:
                password_hash = hash_password(
                    check_password(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
                )
        try:
            database.write(
                actions.add_staff_member,
                system_for(store_id),
                store_id,
                email=email,
                name=name or email,
                role=role,
                password_hash=password_hash,
            )
        except DomainError as error:
            raise fail(error.message) from None
        out.print(f"{email} is now {role} of {store}.")


@staff_app.command("invite")
def invite_staff(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    email: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, admin, agent or analyst.")],
    name: Annotated[str, typer.Option()] = "",
) -> None:
    """Invite someone to a store, as the console does: the link is mailed, or printed without mail."""
    from datetime import timedelta

    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import AccountMailSettings, AccountTokens, invitations

    settings = current_settings()
    with open_database() as database:
        store_id = store_id_of(database, store)
        try:
            invitation = database.write(
                invitations.invite_staff_member,
                system_for(store_id),
                store_id,
                email=email,
                name=name,
                role=role,
                tokens=AccountTokens(settings.resolved_secret_key()),
                mail=AccountMailSettings.from_settings(settings),
                valid_for=timedelta(days=settings.invitation_valid_days),
            )
        except DomainError as error:
            raise fail(error.message) from None
        if invitation.link is None:
            out.print(f"Invitation to {invitation.email} ({invitation.role} of {store}) is being mailed.")
        else:
            out.print(f"Give {invitation.email} this link ({invitation.role} of {store}; works once):")
            out.print(invitation.link, soft_wrap=True)


@staff_app.command("reset-link")
def reset_link(email: Annotated[str, typer.Option(help="The account's email address.")]) -> None:
    """Print a password reset link for an account (for an install that does not send mail)."""
    from datetime import timedelta

    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import AccountMailSettings, AccountTokens, password_resets

    settings = current_settings()
    with open_database() as database:
        try:
            link = database.write(
                password_resets.issue_reset_link,
                email,
                tokens=AccountTokens(settings.resolved_secret_key()),
                mail=AccountMailSettings.from_settings(settings),
                valid_for=timedelta(minutes=settings.password_reset_valid_minutes),
            )
        except (DomainError, ValueError) as error:
            raise fail(str(error)) from None
        minutes = settings.password_reset_valid_minutes
        out.print(f"Give this link to the owner of {email} (works once, for {minutes} minutes):")
        out.print(link, soft_wrap=True)


@keys_app.command("create")
def create_key(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[
        list[str] | None, typer.Option(help="Repeat for each scope; default: the usual set.")
    ] = None,
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import DEFAULT_API_SCOPES, actions

    with open_database() as database:
        store_id = store_id_of(database, store)
        try:
            created = database.write(
                actions.create_api_key,
                system_for(store_id),
                store_id,
                name=name,
                scopes=list(scope or DEFAULT_API_SCOPES),
            )
        except DomainError as error:
            raise fail(error.message) from None
        out.print(created.token)
