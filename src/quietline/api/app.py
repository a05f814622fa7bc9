"""Builds the ASGI application from the services made by the composition root."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from quietline import __version__
from quietline.actions.auth import do_forget_stale_throttles
from quietline.actions.messages import do_purge_expired
from quietline.actions.retention import RetentionSchedule, do_purge_retention
from quietline.api import problems
from quietline.api.access import Public
from quietline.api.middleware import EdgeMiddleware
from quietline.api.routes import (
    appointments,
    audit,
    auth,
    client_deliveries,
    client_export,
    client_page,
    client_settings,
    clients,
    compliance,
    conversations,
    demo_phone,
    me_device,
    oversight,
    provider_hooks,
    retention,
    staff,
    staff_lifecycle,
    supervision,
    web,
)
from quietline.api.send_lane import SendLane, send_route
from quietline.api.websocket import DeliveryCache, SessionWatch, SocketActivity
from quietline.api.websocket import router as websocket_router
from quietline.app import Services
from quietline.gateways.outbox_worker import OutboxWorker
from quietline.notify.notifier import Notifier
from quietline.safety.crisis_meaning import load_meaning_tier
from quietline.web import STATIC_DIR

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


async def _purge_loop(services: Services) -> None:
    """Delete expired messages (and their keys) on a schedule, and messages past each
    practice's retention on a slower one (``RetentionSchedule``). Reads never depend on it:
    expired content and content past retention are filtered at query time."""
    schedule = RetentionSchedule()
    while True:
        await asyncio.sleep(services.settings.purge_interval_seconds)
        try:
            purged = await services.db.write(do_purge_expired)
            if purged:
                log.info("purged %d expired messages", purged)
            if schedule.due(services.clock.now()):
                runs = await services.db.write(do_purge_retention)
                schedule.ran(services.clock.now(), runs)
                if erased := sum(r.erased_total for r in runs):
                    log.info("erased %d messages past retention", erased)
            await services.db.write(do_forget_stale_throttles)
        except Exception as exc:
            log.error("expiry purge failed: %s", exc.__class__.__name__)


def _telemetry_off() -> dict[str, Any]:
    """FastAPI 0.16x reports spans, metrics and logs of every request to whatever
    OpenTelemetry provider the process has (another library may have configured one). A
    server holding health information sends nothing anywhere the operator did not choose, and
    the check costs every request a look at three providers (0.7-2 % of a send, measured).
    Older FastAPI versions have no such reporting and no such argument."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


class EdgeFirstFastAPI(FastAPI):
    """FastAPI with the edge (:class:`EdgeMiddleware`: body limit, security headers, access
    log) and the send lane in front of FastAPI's own layers, not inside them.

    FastAPI puts an application's middleware inside its error handler, its telemetry hooks
    and its body limit. On the send lane that nesting cost about 5 µs of the event loop per
    send for layers the lane does not need (it answers its own errors; telemetry is off;
    the edge enforces the body limit). In front of them, the edge also adds its security
    headers to the 500 answer of FastAPI's error handler, which it could not see from
    inside.
    """

    front: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.front is None else self.front(stack)


def build_api(services: Services) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.hub.bind(asyncio.get_running_loop())
        # Load the crisis detector's encoder now (once per process, about a second), not when
        # the first client text arrives and a crisis reply is waiting on it (decision 0022).
        await asyncio.to_thread(load_meaning_tier)
        # Objects made at start-up live as long as the server: keep them out of the cyclic
        # collector's full passes (measured: gen-2 pauses of up to 64 ms under load).
        gc.freeze()
        app.state.delivery_cache = DeliveryCache(services)
        activity = SocketActivity(services)
        app.state.socket_activity = activity
        recording = asyncio.create_task(activity.run())
        watch = SessionWatch(services)
        app.state.session_watch = watch
        watching = asyncio.create_task(watch.run())
        purge = asyncio.create_task(_purge_loop(services))
        notifier = Notifier(services, services.push_sender)
        notifying = asyncio.create_task(notifier.run())
        releasing = asyncio.create_task(notifier.run_releases())
        reminding = asyncio.create_task(appointments.reminder_loop(services))
        outbox = OutboxWorker(services)  # SMS and e-mail to clients (decision 0017)
        sending = asyncio.create_task(outbox.run())
        try:
            yield
        finally:
            await outbox.stop()  # the send in progress is recorded before the database closes
            for task in (purge, recording, watching, notifying, releasing, reminding, sending):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await notifier.close()
            services.hub.bind(None)

    app = EdgeFirstFastAPI(
        title="Quietline API",
        version=__version__,
        description="Secure messaging for therapy practices. Errors are RFC 9457 problems.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        **_telemetry_off(),
    )
    app.state.services = services
    problems.install(app)
    # The router is searched in this order: the busiest routes (messages) first.
    for router in (
        conversations.router,
        auth.router,
        web.router,
        me_device.router,
        staff.router,
        staff_lifecycle.router,
        oversight.router,
        retention.router,
        compliance.router,
        audit.router,
        audit.health_router,
        appointments.router,
        client_settings.router,
        clients.router,
        client_export.router,
        client_deliveries.router,
        provider_hooks.router,
        supervision.router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=problems.RESPONSES)
    app.include_router(websocket_router)
    # The secure client page's API (its own cookie; see api/routes/client_page.py).
    app.include_router(client_page.router, responses=problems.RESPONSES)
    if services.settings.demo and services.console_record is not None:  # 'quietline demo'
        app.include_router(demo_phone.router)

    @app.get("/", include_in_schema=False, dependencies=[Public])
    async def root() -> RedirectResponse:
        return RedirectResponse("/app/", status_code=307)

    # The web app's files: an HTML shell, styles, scripts, icons. No content, no secrets.
    app.mount("/app", StaticFiles(directory=STATIC_DIR, html=True, check_dir=False), name="app")
    # The secure client page (plain files; the link's token stays in the URL fragment).
    app.mount(
        "/c",
        StaticFiles(directory=client_page.CLIENT_PAGE_DIR, html=True, check_dir=False),
        name="client-page",
    )
    # HSTS whenever clients reach us over HTTPS, directly or through the TLS proxy.
    settings = services.settings
    tls = settings.tls or settings.behind_tls_proxy
    send = send_route(conversations.router.routes)

    def front(fastapi_stack: ASGIApp) -> ASGIApp:
        # The send lane inside the edge (limits, headers, access log), both in front of
        # FastAPI's layers (decision 0023, amended in session 18).
        return EdgeMiddleware(SendLane(fastapi_stack, services=services, route=send), tls=tls)

    app.front = front
    return app
