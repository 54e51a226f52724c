"""Playing scenarios on DUTs: one routine for any DUT session (``play``), the station runs with
instruments (``station``) and the system model against a chip in real time (``system``)."""
