"""`sipwarden run`: the server process that wires transports, transactions and the cores."""
