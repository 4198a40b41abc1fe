"""The alerts application: warnings, places and receipts, notifications and
emergency cases in one event store, composed from their command mixins."""
import time

from eventsourcing.utils import get_topic

from kit import settings
from kit.eventstore import EventSourcedApplication
from alerts import cap
from alerts.emergency import EmergencyCase, EmergencyCommands
from alerts.notifications import Inbox, NotificationCommands, inbox_id, view
from alerts.places import Places, PlacesCommands
from alerts.warnings import Warning, WarningCommands

PUBLIC = "Public"
# What citizens' warning streams carry: a warning published, replaced or ended.
WARNING_CHANGES = (Warning.Approved, Warning.Superseded, Warning.Cancelled, Warning.Ended,
                   Warning.Resolved)
CASE_CHANGES = (EmergencyCase.Opened, EmergencyCase.LocationUpdated, EmergencyCase.Acknowledged,
                EmergencyCase.Escalated, EmergencyCase.Dispatched, EmergencyCase.EnRoute,
                EmergencyCase.OnScene, EmergencyCase.Closed)


class AlertsApplication(WarningCommands, PlacesCommands, NotificationCommands, EmergencyCommands,
                        EventSourcedApplication):
    snapshotted = (Inbox, Places, Warning, EmergencyCase)
    stream_topics = [get_topic(e) for e in (*WARNING_CHANGES, Inbox.Notified, *CASE_CHANGES)]

    def __init__(self, env=None, *, units, communes, clock=time.time):
        super().__init__(env)
        self.units = units
        self.communes = communes
        self.clock = clock
        self.escalate_after_seconds = settings.get_int("CASE_ESCALATE_SECONDS")

    def loaded_for_streams(self, event):
        """The aggregate as of a streamed event (the follower lets the streams'
        matchers ask for it, so it is loaded once and only if wanted)."""
        return self.repository.get(event.originator_id, version=event.originator_version)

    # What each stream wants ---------------------------------------------------------
    def warning_matcher(self, person_id: str):
        """(position, (warning, matched place ids)) for public warnings that
        touch the person's places; places are read once, when the stream opens."""
        places = self.places_of(person_id)
        followed = {place_id: cap.place_shape(place, self.communes)
                    for place_id, place in (places.places.items() if places else ())}

        def wants(position, event, load):
            if not isinstance(event, WARNING_CHANGES):
                return None
            warning = load()
            if warning.scope != PUBLIC:
                return None
            matched = [place_id for place_id, place in followed.items()
                       if self.warning_touches(warning, place)]
            return (position, (warning, matched)) if matched else None

        return wants

    def notification_matcher(self, person_id: str):
        """(sequence, notification) for the person's own new notifications."""

        own = inbox_id(person_id)

        def wants(position, event, load):
            if not isinstance(event, Inbox.Notified) or event.originator_id != own:
                return None
            inbox = load()
            return inbox.sequence, view(inbox.notifications[-1])

        return wants

    @staticmethod
    def case_matcher():
        """(position, case) for every change of an emergency case."""

        def wants(position, event, load):
            return (position, load()) if isinstance(event, CASE_CHANGES) else None

        return wants
