"""nameko dependency providers shared by the services."""
from nameko.extensions import DependencyProvider

from kit import context
from kit.eventstore import persistence_env
from kit.messaging import ConfirmingPublisher
from kit.outbox import TRACKING_NAME, OutboxRelay, leader_lock_for
from kit.projections import ProjectionRunner


class EventStore(DependencyProvider):
    """The service's event-sourced application, one per process.

    `build(env, container)` constructs the application from its persistence
    environment (the container lets it reach shared extensions, e.g. the
    link to identity).
    With `translate`, the process also runs the outbox relay for it, and a
    runner for each of the application's read models (each active on one
    replica at a time).
    """

    def __init__(self, build, translate=None):
        self.build = build
        self.translate = translate
        self.followers = []

    def setup(self):
        service = self.container.service_name
        env = persistence_env(service)
        self.app = self.build(env, self.container)
        if self.translate:
            self.followers.append(OutboxRelay(
                self.app, service, self.translate, ConfirmingPublisher(service),
                leader_lock_for(env, TRACKING_NAME)))
        for read_model in self.app.read_models:
            lock = leader_lock_for(env, f"projection-{read_model.projection.name}")
            self.followers.append(ProjectionRunner(read_model, lock))

    def start(self):
        for follower in self.followers:
            self.container.spawn_managed_thread(follower.run,
                                                identifier=type(follower).__name__)

    def stop(self):
        for follower in self.followers:
            follower.stop()
        self.app.close()

    def kill(self):
        self.stop()

    def worker_setup(self, worker_ctx):
        context.set_correlation_id(worker_ctx.context_data.get(context.CORRELATION_HEADER))

    def get_dependency(self, worker_ctx):
        return self.app
