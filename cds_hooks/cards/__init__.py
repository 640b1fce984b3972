"""CDS Hooks cards from the logic's results (CARDS.md): the patient-view cards, their detail text
and summary line, the parts every card shares, the follow-up wording and the suggested orders."""
