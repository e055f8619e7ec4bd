"""The compte-rendu (proceedings) of an event: assembly (HTML), rendering (PDF), cache."""
