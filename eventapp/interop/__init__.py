"""Exchanging programmes with other conference tools: frab/pentabarf schedule.xml and the
c3voc schedule.json (what pretalx and frab publish and Giggity or ConfClerk read)."""
