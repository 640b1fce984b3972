"""End-to-end tests of the decision table through the HTTP layer."""
