"""Routes: uploads and what became of them; grants to upload a file."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from inventory.models import MAX_NAME_LENGTH
from inventory.uploads import CONFIRM, DISCARD, MAX_KEY_BYTES

from dashboard_api.handlers.context import caller_of, holds, services
from dashboard_api.handlers.responses import SECURITY_HEADERS, documented
from dashboard_api.logic.cursor import MAX_CURSOR_LENGTH
from dashboard_api.logic.names import checked_name, name_from_path
from dashboard_api.models.api import UploadDecision, UploadGrant, UploadRequest, UploadsPage
from dashboard_api.models.errors import InvalidInput
from dashboard_api.models.throttle import GRANTS

router = APIGatewayHttpRouter()


@router.get(
    "/uploads",
    tags=["uploads"],
    summary="Uploads you may see, newest first; or one upload's versions and report",
    description="Without `key`: the uploads of your stores (an admin: every upload, head-office files "
    "included), newest first, from the uploads index. With `key`: that upload's versions, newest first, and "
    "the whole report of the newest one (or of `version`).",
    responses=documented("A page of uploads", 400, 403, 404, 422),
)
def list_uploads(
    store: Annotated[
        str | None, Query(max_length=MAX_NAME_LENGTH, description="Only uploads made for this store")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Most uploads (or versions) returned")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page")
    ] = None,
    key: Annotated[
        str | None, Query(max_length=MAX_KEY_BYTES, description="One upload's key (from a listing or a grant)")
    ] = None,
    version: Annotated[
        str | None, Query(max_length=MAX_KEY_BYTES, description="With `key`: the version whose report to return")
    ] = None,
) -> UploadsPage:
    caller = caller_of(router.current_event)
    listing = services().uploads
    if key:
        if store or cursor:
            raise InvalidInput("`key` cannot be combined with `store` or `cursor`", "invalid_parameter_combination")
        return listing.upload(caller, key, version or None, limit)
    if version:
        raise InvalidInput("`version` needs `key`", "invalid_parameter_combination")
    wanted = checked_name(store, "store") if store else None
    return listing.uploads(caller, wanted, limit, cursor or None)


def _accepted(view: UploadsPage) -> Response[UploadsPage]:
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=view, headers=dict(SECURITY_HEADERS)
    )


@router.post(
    "/uploads/confirm",
    tags=["uploads"],
    summary="Load a held upload (its uploader or head office)",
    description="A file held as `needs_confirmation` after its dry run is loaded as its plan said; the answer is "
    "its row (the page's only upload), now `loading`: follow `GET /uploads?key=` for the report. 409 when it is "
    "not held.",
    responses=documented("The upload, handed to ingest", 403, 404, 409, 422, status=202),
)
def confirm_upload(request: Annotated[UploadDecision, Body()]) -> Response[UploadsPage]:
    caller = caller_of(router.current_event)
    return _accepted(holds().decide(caller, request.key, request.version, CONFIRM))


@router.post(
    "/uploads/discard",
    tags=["uploads"],
    summary="Discard a held upload (its uploader or head office)",
    description="A file held as `needs_confirmation` is never loaded: its report turns `discarded` (the file "
    "itself stays in the bucket). 409 when it is not held.",
    responses=documented("The upload, handed to ingest", 403, 404, 409, 422, status=202),
)
def discard_upload(request: Annotated[UploadDecision, Body()]) -> Response[UploadsPage]:
    caller = caller_of(router.current_event)
    return _accepted(holds().decide(caller, request.key, request.version, DISCARD))


@router.post(
    "/uploads/undo",
    tags=["uploads"],
    summary="Undo an applied upload (its store's users or head office)",
    description="The items an `ok` or `partial` upload set go back to what they were before it, as new changes "
    "(announced like any change); an item it created is retired, and an item a newer upload set since keeps "
    "the newer values. The answer is its row, now `loading`: its report turns `undone`, its reason counting the "
    "items. A head-office file: admins only. 409 when it is not applied, or undone already.",
    responses=documented("The upload, handed to ingest", 403, 404, 409, 422, status=202),
)
def undo_upload(request: Annotated[UploadDecision, Body()]) -> Response[UploadsPage]:
    caller = caller_of(router.current_event)
    return _accepted(holds().undo(caller, request.key, request.version))


def _created(grant: UploadGrant) -> Response[UploadGrant]:
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=grant,
        headers=dict(SECURITY_HEADERS),
    )


@router.post(
    "/stores/<store>/uploads",
    tags=["uploads"],
    summary="A grant to upload one file for a store",
    description="Answers a presigned S3 POST for one new key under the store's upload folder. POST the "
    "`fields`, then the file as `file`, as multipart/form-data to `url` before `expires_at`. S3 refuses "
    "another key, a bigger file or a late post; ingest then loads the file for this store only.",
    responses=documented("The grant", 400, 403, 413, 422, status=201),
)
def grant_store_upload(store: str, request: Annotated[UploadRequest, Body()]) -> Response[UploadGrant]:
    caller = caller_of(router.current_event, GRANTS)
    grant = services().grants.for_store(
        caller,
        name_from_path(store, "store"),
        request.filename,
        request.size,
        full_list=request.full_list,
        dry_run=request.preview,
    )
    return _created(grant)


@router.post(
    "/uploads",
    tags=["uploads"],
    summary="A grant to upload one head-office (multi-store) file; admins only",
    description="As the store grant, under the head-office folder: the file may name any store.",
    responses=documented("The grant", 400, 403, 413, 422, status=201),
)
def grant_head_office_upload(request: Annotated[UploadRequest, Body()]) -> Response[UploadGrant]:
    caller = caller_of(router.current_event, GRANTS)
    return _created(
        services().grants.for_head_office(
            caller, request.filename, request.size, full_list=request.full_list, dry_run=request.preview
        )
    )
