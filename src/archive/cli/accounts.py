"""Commands for archivists' accounts and the message catalogues: user, translate."""

from __future__ import annotations

import click

from .. import i18n
from . import Context, _users, cli


@cli.group()
def user() -> None:
    """Archivist accounts (stored hashed in instance/users.json)."""


@user.command("add")
@click.argument("name")
@click.password_option(help="Asked twice when not given.")
@click.pass_obj
def user_add(obj: Context, name: str, password: str) -> None:
    """Create an archivist account."""
    _users(obj.home).add(name, password)
    click.echo(obj._("Archivist {name} added.", name=name))


@user.command("list")
@click.pass_obj
def user_list(obj: Context) -> None:
    """List archivist accounts."""
    for account in _users(obj.home).list():
        state = obj._("disabled") if account.disabled else obj._("enabled")
        click.echo(f"{account.name}\t{state}\t{account.created}")


@user.command("disable")
@click.argument("name")
@click.pass_obj
def user_disable(obj: Context, name: str) -> None:
    """Disable an account (it can no longer sign in; its history stays)."""
    _users(obj.home).set_disabled(name, True)
    click.echo(obj._("Archivist {name} disabled.", name=name))


@user.command("enable")
@click.argument("name")
@click.pass_obj
def user_enable(obj: Context, name: str) -> None:
    """Enable a disabled account again."""
    _users(obj.home).set_disabled(name, False)
    click.echo(obj._("Archivist {name} enabled.", name=name))


@cli.group()
def translate() -> None:
    """Maintain the message catalogues in translations/ (ar, en, fr)."""


@translate.command("update")
def translate_update() -> None:
    """Extract messages from the code and templates into every .po file."""
    i18n.update_catalogues()


@translate.command("check")
def translate_check() -> None:
    """Compile every .po file in memory, as the archive reads them, and name each."""
    for path in i18n.catalogue_paths():
        i18n.load_catalogue(path)
        click.echo(path)
