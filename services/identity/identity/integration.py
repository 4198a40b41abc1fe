"""Which of identity's domain events leave the service, and as what."""
from smartcity.events.v1 import identity_pb2 as events

from identity.domainmodel import Organisation, Person


def translate(domain_event, load):
    """The integration event for a stored domain event, or None.

    `load(aggregate_id, version)` gives the aggregate as of that event, for
    payloads that carry more than the event itself.
    """
    aggregate_id = str(domain_event.originator_id)
    match domain_event:
        case Person.Registered():
            return events.CitizenRegistered(citizen_id=aggregate_id,
                                            home_unit_code=domain_event.home_unit_code)
        case Person.PhoneConfirmed():
            return events.CitizenAssuranceRaised(citizen_id=aggregate_id, assurance_level=1)
        case Person.VerifiedByOfficial():
            return events.CitizenAssuranceRaised(citizen_id=aggregate_id, assurance_level=2,
                                                 verified_by=domain_event.official_id)
        case Person.RoleGranted():
            return events.RoleGranted(person_id=aggregate_id, role=domain_event.role,
                                      agency=domain_event.agency,
                                      jurisdiction=domain_event.jurisdiction,
                                      granted_by=domain_event.granted_by)
        case Person.RoleRevoked():
            return events.RoleRevoked(person_id=aggregate_id, role=domain_event.role,
                                      agency=domain_event.agency,
                                      jurisdiction=domain_event.jurisdiction,
                                      revoked_by=domain_event.revoked_by)
        case Organisation.Registered():
            return events.OrganisationRegistered(
                organisation_id=aggregate_id, name=domain_event.name,
                tax_code=domain_event.tax_code, kind=domain_event.kind,
                unit_code=domain_event.unit_code, owner_id=domain_event.owner_id)
        case Organisation.Verified():
            organisation = load(domain_event.originator_id, domain_event.originator_version)
            return events.OrganisationVerified(
                organisation_id=aggregate_id, name=organisation.name,
                tax_code=organisation.tax_code, kind=organisation.kind,
                unit_code=organisation.unit_code, owner_id=organisation.owner_id,
                member_ids=organisation.member_ids, verified_by=domain_event.official_id)
        case Organisation.MemberAdded():
            return events.OrganisationMemberAdded(organisation_id=aggregate_id,
                                                  person_id=domain_event.person_id)
        case Organisation.MemberRemoved():
            return events.OrganisationMemberRemoved(organisation_id=aggregate_id,
                                                    person_id=domain_event.person_id)
    return None
