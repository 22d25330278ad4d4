"""Open311 GeoReport v2 (`/open311/v2`): the matter catalog as services, cases as service requests."""
