"""`forcebridge secrets ...`"""

from __future__ import annotations

import typer

from forcebridge.cli.output import console, runtime
from forcebridge.services import secret_key

app = typer.Typer(no_args_is_help=True)


@app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every stored secret under a new key, without loss.

    With the key in the data directory (the default) a new key is generated and swapped in.
    With FORCEBRIDGE_SECRET_KEY set, set the new key there and the old one in
    FORCEBRIDGE_SECRET_KEY_FALLBACKS first; this command then reseals everything under the
    new key, after which the fallback can be removed.
    """
    rt = runtime()
    if rt.settings.secret_key is None:
        report = secret_key.rotate_file_key(rt)
        where = str(rt.settings.secret_key_file)
    else:
        report = secret_key.reseal_all(rt.db, rt.vault)
        where = "FORCEBRIDGE_SECRET_KEY"
    console.print(
        f"resealed {report.values} secret(s) in {report.tables} table(s) "
        f"({report.already_current} already current); key in {where} (id {rt.vault.primary_id})"
    )
