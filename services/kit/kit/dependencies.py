"""nameko dependency providers shared by the services."""
from nameko.extensions import DependencyProvider

from kit import context
from kit.eventstore import persistence_env
from kit.messaging import confirming_publisher
from kit.outbox import OutboxRelay, leader_lock_for


class EventStore(DependencyProvider):
    """The service's event-sourced application, one per process.

    `build(env)` constructs the application from its persistence environment.
    With `translate`, the process also runs the outbox relay for it (active
    on one replica at a time).
    """

    def __init__(self, build, translate=None):
        self.build = build
        self.translate = translate
        self.relay = None

    def setup(self):
        service = self.container.service_name
        env = persistence_env(service)
        self.app = self.build(env)
        if self.translate:
            self.relay = OutboxRelay(self.app, service, self.translate,
                                     confirming_publisher(service), leader_lock_for(env, service))

    def start(self):
        if self.relay:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self):
        if self.relay:
            self.relay.stop()
        self.app.close()

    def kill(self):
        self.stop()

    def worker_setup(self, worker_ctx):
        context.set_correlation_id(worker_ctx.context_data.get(context.CORRELATION_HEADER))

    def get_dependency(self, worker_ctx):
        return self.app
