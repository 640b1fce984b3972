"""What every test tier shares (one home, imported as ``tests.support.X``): the app factory
(`app`), the FHIR builders (`fhir`, `fhir_requests`, `hooks`, `report_documents`), the JWT kit
(`jwt`), the service-test helpers (`service`), loopback servers (`loopback`), the Chromium launcher
(`chromium`) and the governance page helpers (`governance`)."""
