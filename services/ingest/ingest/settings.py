"""The ingest function's configuration, read once from its environment (see serverless.yml).

serverless.yml sets every variable from a stage parameter or a resource, and the parameter's
default there is the only default: a variable missing here is an error naming it, at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.settings import EnvSettings, setting


@dataclass(frozen=True, slots=True)
class Settings(EnvSettings):
    inventory_table: str = setting("INVENTORY_TABLE")
    stores_table: str = setting("STORES_TABLE")
    uploads_table: str = setting("UPLOADS_TABLE")
    #: The dashboard API's People table: whether an uploader may still change the file's store.
    people_table: str = setting("PEOPLE_TABLE")
    low_stock_default: int = setting("LOW_STOCK_DEFAULT", minimum=0)
    write_concurrency: int = setting("WRITE_CONCURRENCY", minimum=1)
    #: The dashboard API function's role: objects it puts carry ``uploaded-by`` metadata that is believed.
    #: Empty (the local stage, which has no such role): no object's metadata is believed for its role.
    api_role_name: str = setting("API_ROLE_NAME", "")
    #: A principal believed as it is, for the local emulator, whose events name every caller alike.
    #: Empty (every deployed stage): no principal is believed for its name alone.
    api_principal_id: str = setting("API_PRINCIPAL_ID", "")
    #: Uploads that cannot do damage (``ingest.logic.guard``): when a planned file is held, and
    #: whether files from scripts are planned at all.
    hold_out_of_stock_share: float = setting("HOLD_OUT_OF_STOCK_SHARE", minimum=0)
    hold_retired_share: float = setting("HOLD_RETIRED_SHARE", minimum=0)
    hold_script_uploads: bool = setting("HOLD_SCRIPT_UPLOADS")
