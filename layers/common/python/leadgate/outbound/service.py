"""The webhook endpoints API's operations (the edge is functions/webhook_endpoints): validated models in,
endpoints, pages and secrets out, `leadgate.errors` raised. A URL is checked against SSRF on every save (422
naming `url`); the signing secret is answered once, on creation and rotation, and never stored outside Secrets
Manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from leadgate import clock, errors, ssrf
from leadgate.connections.secrets import ROTATION_OVERLAP
from leadgate.lists import Page
from leadgate.outbound import deliveries, endpoints, keys, queue, secrets
from leadgate.outbound.deliveries import Delivery, DeliveryListParams
from leadgate.outbound.endpoints import Endpoint, EndpointCreate, EndpointPatch
from leadgate.settings import get_settings
from leadgate.workspace import ids
from leadgate.workspace.pages import WorkspacePageParams, page_of


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    secret: str


def _checked(url: str) -> str:
    return ssrf.check_url(url, allow_loopback=get_settings().allow_loopback_urls, field="url")


def _check_precondition(current: Endpoint, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" not in tags and current.etag not in tags:
        raise errors.PreconditionFailed(f"The webhook endpoint's ETag is {current.etag}.", etag=current.etag)


def _stored(changed: Endpoint, expected_version: int, if_match: str | None) -> None:
    try:
        endpoints.put(changed, expected_version=expected_version)
    except errors.Conflict as exc:
        if if_match is not None:
            raise errors.PreconditionFailed("The webhook endpoint was changed by another request.") from exc
        raise


def create(tenant_id: str, body: EndpointCreate) -> Created:
    url = _checked(body.url)
    if len(endpoints.all_endpoints(tenant_id)) >= endpoints.MAX_ENDPOINTS:
        raise errors.ValidationFailed(
            errors={"url": [f"A tenant may have at most {endpoints.MAX_ENDPOINTS} webhook endpoints."]}
        )
    endpoint_id = ids.allocate_one(tenant_id, keys.ENDPOINT_KIND, table=get_settings().outbound_webhooks_table)
    secret = secrets.new_secret()
    arn = secrets.create(tenant_id, endpoint_id, secret)
    now = clock.iso(clock.now())
    endpoint = Endpoint(
        tenant_id=tenant_id,
        id=endpoint_id,
        url=url,
        event_types=list(body.event_types),
        description=body.description,
        active=body.active,
        rate_limit=body.rate_limit,
        secret_arn=arn,
        created_at=now,
        updated_at=now,
    )
    endpoints.put(endpoint, expected_version=None)
    return Created(endpoint, secret)


def list_endpoints(tenant_id: str, params: WorkspacePageParams) -> Page:
    found = [endpoint.record() for endpoint in endpoints.all_endpoints(tenant_id)]
    return page_of(found, params, "webhook_endpoints")


def get(tenant_id: str, endpoint_id: int) -> Endpoint:
    return endpoints.require(tenant_id, endpoint_id)


def patch(tenant_id: str, endpoint_id: int, body: EndpointPatch, if_match: str | None) -> Endpoint:
    current = endpoints.require(tenant_id, endpoint_id)
    _check_precondition(current, if_match)
    values = body.model_dump(exclude_unset=True)
    if "url" in values:
        values["url"] = _checked(values["url"])
    if values.get("active") is True:
        values["disabled_reason"] = None
    if all(getattr(current, name) == value for name, value in values.items()):
        return current
    changed = current.changed(clock.iso(clock.now()), **values)
    _stored(changed, current.version, if_match)
    if changed.active and not current.active:
        # Resumed: what waited while it was inactive is sent now, oldest first.
        queue.send(queue.release_message(tenant_id, endpoint_id, ("paused",), since=None, trigger="resumed"))
    return changed


def delete(tenant_id: str, endpoint_id: int, if_match: str | None) -> None:
    current = endpoints.require(tenant_id, endpoint_id)
    _check_precondition(current, if_match)
    endpoints.delete(current)
    secrets.delete(current.secret_arn)


def rotate_secret(tenant_id: str, endpoint_id: int) -> dict[str, str]:
    """A new secret, answered once; the old one keeps signing beside it for 24 h."""
    current = endpoints.require(tenant_id, endpoint_id)
    secret = secrets.rotate(current.secret_arn)
    return {"secret": secret, "previous_valid_until": clock.iso(clock.now() + ROTATION_OVERLAP)}


def list_deliveries(tenant_id: str, endpoint_id: int, params: DeliveryListParams) -> Page:
    endpoints.require(tenant_id, endpoint_id)
    return deliveries.page(tenant_id, endpoint_id, params)


def retry(tenant_id: str, endpoint_id: int, delivery_id: str) -> Delivery:
    """Sends the delivery again now (whatever its status but pending), from the start of the schedule."""
    endpoints.require(tenant_id, endpoint_id)
    delivery = deliveries.require(tenant_id, endpoint_id, delivery_id)
    if not deliveries.set_status(delivery, "pending", only_from=("succeeded", "failed", "paused"), restart=True):
        raise errors.Conflict("The delivery is already pending.")
    queue.send(queue.deliver_message(tenant_id, endpoint_id, delivery_id, "manual"))
    return deliveries.require(tenant_id, endpoint_id, delivery_id)


def recover(tenant_id: str, endpoint_id: int, since: datetime | None) -> str | None:
    """Queues the job that sends again every failed delivery since `since` (all kept ones when None); answers the
    `since` as listed."""
    endpoints.require(tenant_id, endpoint_id)
    # The journal's `occurred_at` is UTC with milliseconds; a prefix of that form compares as text with it.
    after = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] if since is not None else None
    queue.send(queue.release_message(tenant_id, endpoint_id, ("failed",), since=after, trigger="recovery"))
    return after
